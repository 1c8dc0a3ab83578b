namespace Backchannel.Client;

/// <summary>The outcome of a send: <c>sent</c> once the relay stored it, <c>queued</c> while the relay is unreachable.</summary>
public sealed record SendResult(string Id, string Status);
