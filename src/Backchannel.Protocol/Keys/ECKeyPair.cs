namespace Backchannel.Protocol;

/// <summary>A Curve25519 key pair. Disposing zeroes the private half.</summary>
public sealed class ECKeyPair : IDisposable
{
    /// <summary>Pairs a private key with its public key.</summary>
    public ECKeyPair(ECPublicKey publicKey, ECPrivateKey privateKey)
    {
        PublicKey = publicKey;
        PrivateKey = privateKey;
    }

    /// <summary>A fresh random key pair.</summary>
    public static ECKeyPair Generate()
    {
        var privateKey = ECPrivateKey.Generate();
        return new ECKeyPair(privateKey.PublicKey(), privateKey);
    }

    /// <summary>The public half.</summary>
    public ECPublicKey PublicKey { get; }

    /// <summary>The private half.</summary>
    public ECPrivateKey PrivateKey { get; }

    /// <inheritdoc />
    public void Dispose() => PrivateKey.Dispose();

    /// <inheritdoc />
    public override string ToString() => nameof(ECKeyPair);
}
