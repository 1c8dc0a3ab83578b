using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol;

/// <summary>A Kyber1024 key pair; the secret half is zeroed on dispose.</summary>
public sealed class KyberKeyPair : IDisposable
{
    private readonly byte[] _secretKey;

    private KyberKeyPair(KyberPublicKey publicKey, byte[] secretKey)
    {
        PublicKey = publicKey;
        _secretKey = secretKey;
    }

    /// <summary>A fresh key pair (an ML-KEM-1024 key pair is a valid round-3 key pair, LIBSIGNAL-FACTS.md §3.3).</summary>
    public static KyberKeyPair Generate()
    {
        var (pub, secret) = Kyber1024.GenerateKeyPair();
        return new KyberKeyPair(KyberPublicKey.FromRaw(pub), secret);
    }

    /// <summary>Rebuilds a pair from its serialized halves (secret: 0x08 ‖ 3168 bytes).</summary>
    public static KyberKeyPair FromSerialized(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        var pub = KyberPublicKey.Deserialize(publicKey);
        if (secretKey.Length != 1 + Kyber1024.SecretKeyLength || secretKey[0] != KyberPublicKey.Kyber1024Type)
        {
            throw new InvalidKeyException("invalid Kyber1024 secret key");
        }
        return new KyberKeyPair(pub, secretKey[1..].ToArray());
    }

    /// <summary>The public half.</summary>
    public KyberPublicKey PublicKey { get; }

    /// <summary>The secret half serialized as 0x08 ‖ 3168 bytes; the caller should zero it.</summary>
    public byte[] SerializeSecretKey()
    {
        var bytes = new byte[1 + _secretKey.Length];
        bytes[0] = KyberPublicKey.Kyber1024Type;
        _secretKey.CopyTo(bytes, 1);
        return bytes;
    }

    /// <summary>Recovers the shared secret from a serialized ciphertext (0x08 ‖ 1568 bytes).</summary>
    internal byte[] Decapsulate(ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length != 1 + Kyber1024.CiphertextLength || ciphertext[0] != KyberPublicKey.Kyber1024Type)
        {
            throw new InvalidMessageException("invalid Kyber1024 ciphertext");
        }
        return Kyber1024.Decapsulate(_secretKey, ciphertext[1..]);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_secretKey);

    /// <inheritdoc />
    public override string ToString() => nameof(KyberKeyPair);
}
