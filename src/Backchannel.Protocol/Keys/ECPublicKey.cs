using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol;

/// <summary>
/// A Curve25519 public key. Serialized as the type byte 0x05 ("DJB") followed by the 32-byte u-coordinate
/// (LIBSIGNAL-FACTS.md §4.1); DH uses the raw 32 bytes (pitfall P5).
/// </summary>
public sealed class ECPublicKey : IEquatable<ECPublicKey>
{
    /// <summary>The type byte of Curve25519 keys.</summary>
    public const byte DjbType = 0x05;

    /// <summary>Length of the serialized form.</summary>
    public const int SerializedLength = 33;

    private readonly byte[] _serialized;

    private ECPublicKey(byte[] serialized)
    {
        _serialized = serialized;
    }

    /// <summary>Parses 0x05 ‖ 32 bytes; anything else is an <see cref="InvalidKeyException"/>.</summary>
    public static ECPublicKey Deserialize(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length != SerializedLength)
        {
            throw new InvalidKeyException("invalid Curve25519 public key length");
        }
        if (serialized[0] != DjbType)
        {
            throw new InvalidKeyException("bad Curve25519 key type");
        }
        return new ECPublicKey(serialized.ToArray());
    }

    internal static ECPublicKey FromRaw(ReadOnlySpan<byte> raw)
    {
        var bytes = new byte[SerializedLength];
        bytes[0] = DjbType;
        raw.CopyTo(bytes.AsSpan(1));
        return new ECPublicKey(bytes);
    }

    /// <summary>The 33-byte serialized form.</summary>
    public byte[] Serialize() => (byte[])_serialized.Clone();

    internal ReadOnlySpan<byte> Serialized => _serialized;

    internal ReadOnlySpan<byte> Raw => _serialized.AsSpan(1);

    /// <summary>
    /// True when the u-coordinate is in canonical form (high bit clear, u &lt; p) and torsion-free, as libsignal
    /// requires of received base keys since v0.80.1 (LIBSIGNAL-FACTS.md §4.1).
    /// </summary>
    internal bool IsCanonical() => IsReducedWithHighBitClear() && Curve25519.IsTorsionFree(Raw);

    private bool IsReducedWithHighBitClear()
    {
        var raw = Raw;
        if ((raw[31] & 0x80) != 0)
        {
            return false;
        }
        // u >= p = 2^255 - 19 only when bytes 1..30 are 0xFF, byte 31 is 0x7F and byte 0 >= 0xED.
        if (raw[31] != 0x7F)
        {
            return true;
        }
        for (var i = 30; i >= 1; i--)
        {
            if (raw[i] != 0xFF)
            {
                return true;
            }
        }
        return raw[0] < 0xED;
    }

    /// <summary>Verifies an XEdDSA signature made by the matching private key.</summary>
    public bool VerifySignature(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        XEdDsa.Verify(Raw, message, signature);

    /// <inheritdoc />
    public bool Equals(ECPublicKey? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_serialized, other._serialized);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ECPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.ToInt32(_serialized, 1);

    /// <inheritdoc />
    public override string ToString() => nameof(ECPublicKey);
}
