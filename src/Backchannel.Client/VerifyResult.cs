namespace Backchannel.Client;

/// <summary>The answer of <c>verify</c>.</summary>
public sealed record VerifyResult(string Alias, string SafetyNumber, bool Verified, bool IdentityChanged);
