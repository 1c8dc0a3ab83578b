namespace Backchannel.Client.Messages;

/// <summary>
/// One stored message in a history page: its stable id (so a copy never duplicates), the account it is with (the
/// contact for 1:1, the sender for an incoming channel text, our own account for an outgoing one), direction
/// ("in"/"out"), topic, text, send time (Unix ms), and the channel id when it is a channel message.
/// </summary>
internal sealed record HistoryEntry(string Id, string Account, string Direction, string? Topic, string Text, long SentAt, string? Channel)
{
    public static bool IsWellFormed(HistoryEntry? e) =>
        e is not null && Guid.TryParse(e.Id, out _) && Guid.TryParse(e.Account, out _) && e.Direction is "in" or "out"
        && e.Text is not null && (e.Channel is null || Guid.TryParse(e.Channel, out _));
}
