namespace Backchannel.Relay.Keys;

/// <summary>Wire form of a signed, Kyber or last-resort prekey: <c>{ "id", "publicKey", "signature" }</c>.</summary>
internal sealed class SignedPreKeyDto
{
    public uint? Id { get; set; }

    public byte[]? PublicKey { get; set; }

    public byte[]? Signature { get; set; }
}
