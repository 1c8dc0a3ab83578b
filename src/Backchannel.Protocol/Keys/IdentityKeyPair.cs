using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol;

/// <summary>
/// A party's long-term identity key pair. Serialized like libsignal's IdentityKeyPairStructure
/// (protobuf {1: public 33 B, 2: private 32 B}, LIBSIGNAL-FACTS.md §4.1). Disposing zeroes the private key.
/// </summary>
public sealed class IdentityKeyPair : IDisposable
{
    /// <summary>Pairs an identity with its private key.</summary>
    public IdentityKeyPair(IdentityKey publicKey, ECPrivateKey privateKey)
    {
        PublicKey = publicKey;
        PrivateKey = privateKey;
    }

    /// <summary>A fresh random identity.</summary>
    public static IdentityKeyPair Generate()
    {
        var privateKey = ECPrivateKey.Generate();
        return new IdentityKeyPair(new IdentityKey(privateKey.PublicKey()), privateKey);
    }

    /// <summary>The public identity.</summary>
    public IdentityKey PublicKey { get; }

    /// <summary>The private key.</summary>
    public ECPrivateKey PrivateKey { get; }

    /// <summary>Signs with the identity key (XEdDSA).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => PrivateKey.Sign(message);

    /// <summary>The protobuf form, holding the private key: keep it secret and zero it after use.</summary>
    public byte[] Serialize()
    {
        var writer = new ProtoWriter(80);
        writer.WriteBytes(1, PublicKey.Serialized);
        writer.WriteBytes(2, PrivateKey.Raw);
        var result = writer.ToArray();
        writer.Clear();
        return result;
    }

    /// <summary>Parses the protobuf form; the public key must match the private key.</summary>
    public static IdentityKeyPair Deserialize(ReadOnlySpan<byte> serialized)
    {
        var reader = new ProtoReader(serialized, m => new InvalidKeyException(m));
        byte[]? pub = null;
        byte[]? priv = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: pub = reader.ReadBytes(wire); break;
                case 2: priv = reader.ReadBytes(wire); break;
                default: reader.Skip(wire); break;
            }
        }
        if (pub is null || priv is null)
        {
            throw new InvalidKeyException("incomplete identity key pair");
        }
        var identity = IdentityKey.Deserialize(pub);
        var privateKey = ECPrivateKey.Deserialize(priv);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(priv);
        if (!privateKey.PublicKey().Equals(identity.PublicKey))
        {
            privateKey.Dispose();
            throw new InvalidKeyException("identity key pair halves do not match");
        }
        return new IdentityKeyPair(identity, privateKey);
    }

    /// <inheritdoc />
    public void Dispose() => PrivateKey.Dispose();

    /// <inheritdoc />
    public override string ToString() => nameof(IdentityKeyPair);
}
