namespace Backchannel.Relay.Keys;

/// <summary>Wire form of a one-time EC prekey: <c>{ "id", "publicKey" }</c>.</summary>
internal sealed class PreKeyDto
{
    public uint? Id { get; set; }

    public byte[]? PublicKey { get; set; }
}
