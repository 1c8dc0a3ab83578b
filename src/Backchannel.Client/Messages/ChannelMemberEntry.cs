namespace Backchannel.Client.Messages;

/// <summary>
/// One member in a channel envelope: account, the name it gave at init, its identity key as the sender knows it, and
/// its access key when the sender knows one (so members who never exchanged invites can still send each other sealed;
/// absent in envelopes from older clients).
/// </summary>
internal sealed record ChannelMemberEntry(string Account, string Name, byte[] IdentityKey, byte[]? AccessKey = null);
