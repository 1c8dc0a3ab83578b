namespace Backchannel.Client;

/// <summary>A contact. <paramref name="IdentityChanged"/>: their key changed and sending is blocked until re-verified.</summary>
public sealed record ContactInfo(string Alias, string Account, bool Verified, string SafetyNumber, bool IdentityChanged);
