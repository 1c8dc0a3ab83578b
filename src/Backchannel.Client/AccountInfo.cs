namespace Backchannel.Client;

/// <summary>This device's account as registered with its relay.</summary>
public sealed record AccountInfo(string Account, int Device, string IdentityKey, string Name, Uri Relay);
