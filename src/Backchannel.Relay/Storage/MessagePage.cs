namespace Backchannel.Relay.Storage;

/// <summary>One page of a mailbox, oldest first; <see cref="More"/> when further messages follow it.</summary>
internal sealed record MessagePage(IReadOnlyList<StoredMessage> Messages, bool More);
