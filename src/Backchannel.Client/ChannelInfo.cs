namespace Backchannel.Client;

/// <summary>
/// A channel: its id (the sender-key distribution id), its local name, and its members as shown here (our own
/// init name for us, the contact alias for the others). <paramref name="IsMember"/> is false once we were removed.
/// </summary>
public sealed record ChannelInfo(string Id, string Name, IReadOnlyList<string> Members, bool IsMember);
