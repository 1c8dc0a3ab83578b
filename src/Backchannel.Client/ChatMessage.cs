namespace Backchannel.Client;

/// <summary>
/// One message of the history. <paramref name="From"/> is the sender's alias, or our own init name for
/// outgoing ones; <paramref name="Direction"/> is <c>in</c> or <c>out</c>; <paramref name="Status"/> is
/// <c>received</c>, <c>queued</c>, <c>sent</c> or <c>failed</c>; <paramref name="Channel"/> is the channel's name for a
/// channel message, else null.
/// </summary>
public sealed record ChatMessage(
    string Id, string Account, string Alias, string From, string? Topic, DateTimeOffset SentAt, string Text, string Direction, string Status,
    string? Channel = null);
