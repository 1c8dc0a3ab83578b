namespace Backchannel.Client;

/// <summary>Send statuses.</summary>
public static class MessageStatus
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Received = "received";
}
