using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol;

/// <summary>
/// A Kyber1024 (round 3) public key, serialized 0x08 ‖ 1568 bytes (LIBSIGNAL-FACTS.md §4.1). 0x0A (ML-KEM-1024)
/// is rejected, as libsignal's npm builds do.
/// </summary>
public sealed class KyberPublicKey : IEquatable<KyberPublicKey>
{
    /// <summary>The type byte of Kyber1024 keys and ciphertexts.</summary>
    public const byte Kyber1024Type = 0x08;

    /// <summary>Length of the serialized form.</summary>
    public const int SerializedLength = 1 + Kyber1024.PublicKeyLength;

    private readonly byte[] _serialized;

    private KyberPublicKey(byte[] serialized)
    {
        _serialized = serialized;
    }

    /// <summary>Parses 0x08 ‖ 1568 bytes, or throws <see cref="InvalidKeyException"/>.</summary>
    public static KyberPublicKey Deserialize(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length == 0 || serialized[0] != Kyber1024Type)
        {
            throw new InvalidKeyException("bad KEM key type");
        }
        if (serialized.Length != SerializedLength)
        {
            throw new InvalidKeyException("invalid Kyber1024 public key length");
        }
        return new KyberPublicKey(serialized.ToArray());
    }

    internal static KyberPublicKey FromRaw(ReadOnlySpan<byte> raw)
    {
        var bytes = new byte[SerializedLength];
        bytes[0] = Kyber1024Type;
        raw.CopyTo(bytes.AsSpan(1));
        return new KyberPublicKey(bytes);
    }

    /// <summary>The serialized form.</summary>
    public byte[] Serialize() => (byte[])_serialized.Clone();

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>Encapsulates a fresh secret: the ciphertext (0x08 ‖ 1568 B) and the 32-byte shared secret.</summary>
    internal (byte[] Ciphertext, byte[] SharedSecret) Encapsulate()
    {
        var (ct, ss) = Kyber1024.Encapsulate(_serialized.AsSpan(1).ToArray());
        var serialized = new byte[1 + ct.Length];
        serialized[0] = Kyber1024Type;
        ct.CopyTo(serialized, 1);
        return (serialized, ss);
    }

    /// <inheritdoc />
    public bool Equals(KyberPublicKey? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_serialized, other._serialized);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as KyberPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.ToInt32(_serialized, 1);

    /// <inheritdoc />
    public override string ToString() => nameof(KyberPublicKey);
}
