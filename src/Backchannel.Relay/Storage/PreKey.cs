namespace Backchannel.Relay.Storage;

/// <summary>A one-time EC prekey as uploaded: its id and opaque public key bytes.</summary>
internal sealed record PreKey(uint Id, byte[] PublicKey);
