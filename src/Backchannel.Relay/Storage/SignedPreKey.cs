namespace Backchannel.Relay.Storage;

/// <summary>A signed prekey (EC signed, Kyber one-time or Kyber last-resort): id, opaque public key, opaque signature.</summary>
internal sealed record SignedPreKey(uint Id, byte[] PublicKey, byte[] Signature);
