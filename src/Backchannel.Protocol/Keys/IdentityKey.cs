namespace Backchannel.Protocol;

/// <summary>A party's long-term public identity: a Curve25519 public key, serialized 0x05 ‖ 32 bytes.</summary>
public sealed class IdentityKey : IEquatable<IdentityKey>
{
    /// <summary>Wraps a public key as an identity.</summary>
    public IdentityKey(ECPublicKey publicKey)
    {
        PublicKey = publicKey;
    }

    /// <summary>The underlying Curve25519 key.</summary>
    public ECPublicKey PublicKey { get; }

    /// <summary>Parses the 33-byte form, or throws <see cref="InvalidKeyException"/>.</summary>
    public static IdentityKey Deserialize(ReadOnlySpan<byte> serialized) => new(ECPublicKey.Deserialize(serialized));

    /// <summary>The 33-byte serialized form.</summary>
    public byte[] Serialize() => PublicKey.Serialize();

    internal ReadOnlySpan<byte> Serialized => PublicKey.Serialized;

    /// <summary>Verifies an XEdDSA signature by this identity.</summary>
    public bool VerifySignature(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        PublicKey.VerifySignature(message, signature);

    /// <inheritdoc />
    public bool Equals(IdentityKey? other) => other is not null && PublicKey.Equals(other.PublicKey);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as IdentityKey);

    /// <inheritdoc />
    public override int GetHashCode() => PublicKey.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => nameof(IdentityKey);
}
