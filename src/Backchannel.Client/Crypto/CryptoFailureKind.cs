namespace Backchannel.Client.Crypto;

/// <summary>What went wrong in the protocol, reduced to what the engine decides on.</summary>
internal enum CryptoFailureKind
{
    /// <summary>The peer's identity key differs from the one we trust.</summary>
    UntrustedIdentity,

    /// <summary>A message already decrypted (or its key already dropped).</summary>
    Duplicate,

    /// <summary>No session with that device.</summary>
    NoSession,

    /// <summary>Anything else: malformed, forged, unknown key ids, bad signatures.</summary>
    Invalid,
}
