namespace Backchannel.Client.Messages;

/// <summary>One member in a channel envelope: account, the name it gave at init, its identity key as the sender knows it.</summary>
internal sealed record ChannelMemberEntry(string Account, string Name, byte[] IdentityKey);
