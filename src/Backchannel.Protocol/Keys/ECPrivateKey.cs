using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol;

/// <summary>
/// A Curve25519 private key: 32 bytes, clamped on generation and import. Zeroed on dispose; prints only its
/// type name.
/// </summary>
public sealed class ECPrivateKey : IDisposable
{
    private readonly byte[] _key;

    private ECPrivateKey(byte[] key)
    {
        _key = key;
    }

    /// <summary>A fresh random private key.</summary>
    public static ECPrivateKey Generate() => new(Curve25519.GeneratePrivateKey());

    /// <summary>Imports 32 bytes (clamped on import, as libsignal does).</summary>
    public static ECPrivateKey Deserialize(ReadOnlySpan<byte> key)
    {
        if (key.Length != Curve25519.KeyLength)
        {
            throw new InvalidKeyException("invalid Curve25519 private key length");
        }
        var copy = key.ToArray();
        Curve25519.Clamp(copy);
        return new ECPrivateKey(copy);
    }

    /// <summary>The 32 raw private bytes. The caller owns the copy and should zero it.</summary>
    public byte[] Serialize() => (byte[])_key.Clone();

    internal ReadOnlySpan<byte> Raw => _key;

    /// <summary>The matching public key.</summary>
    public ECPublicKey PublicKey() => ECPublicKey.FromRaw(Curve25519.PublicFromPrivate(_key));

    /// <summary>DH with a peer's public key into 32 bytes; an all-zero result is an invalid key.</summary>
    internal byte[] Agree(ECPublicKey publicKey)
    {
        var output = new byte[32];
        if (!Curve25519.TryAgree(_key, publicKey.Raw, output))
        {
            throw new InvalidKeyException("Curve25519 agreement produced an all-zero secret");
        }
        return output;
    }

    /// <summary>
    /// X25519 agreement with <paramref name="publicKey"/>: the raw 32-byte shared secret, for callers outside the
    /// protocol (device provisioning) that derive their own keys from it with a KDF. Never use the secret directly
    /// as a key. Throws <see cref="InvalidKeyException"/> on an all-zero result (a low-order public key).
    /// </summary>
    public byte[] CalculateAgreement(ECPublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return Agree(publicKey);
    }

    /// <summary>XEdDSA signature over <paramref name="message"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => XEdDsa.Sign(_key, message);

    /// <summary>
    /// XEdDSA signature by a key that signs often (a sender-key chain), given its own public key so that the
    /// Edwards form of that public key is derived once rather than per signature.
    /// </summary>
    internal byte[] Sign(ReadOnlySpan<byte> message, ECPublicKey ownPublicKey) => XEdDsa.Sign(_key, ownPublicKey.Raw, message);

    /// <summary>Zeroes the key bytes.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    /// <inheritdoc />
    public override string ToString() => nameof(ECPrivateKey);
}
