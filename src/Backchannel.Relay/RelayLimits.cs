namespace Backchannel.Relay;

/// <summary>
/// The relay's bounds, documented in docs/relay-api.md ("Bounds"); the defaults are the documented values.
/// Changing one changes the contract, so only tests and private relays should.
/// </summary>
public sealed class RelayLimits
{
    /// <summary>Largest request body: room for 100 messages of a few KiB, or 100+100 prekeys with Kyber keys (~1.6 KiB each, base64).</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest decoded message content: far above a padded text message, small enough to bound mailboxes.</summary>
    public int MaxMessageContentBytes { get; set; } = 64 * 1024;

    /// <summary>Messages in one send request.</summary>
    public int MaxMessagesPerRequest { get; set; } = 100;

    /// <summary>One-time prekeys of each kind in one upload.</summary>
    public int MaxPreKeysPerUpload { get; set; } = 100;

    /// <summary>One-time prekeys of each kind stored per device.</summary>
    public int MaxStoredPreKeysPerKind { get; set; } = 1000;

    /// <summary>Largest opaque key (a Kyber1024 public key with its type byte is 1,569 bytes).</summary>
    public int MaxKeyBytes { get; set; } = 2048;

    /// <summary>Largest opaque signature (XEdDSA signatures are 64 bytes).</summary>
    public int MaxSignatureBytes { get; set; } = 256;

    /// <summary>Bundle fetches per calling device per minute: enough to start sessions, too few to drain prekeys.</summary>
    public int BundleFetchesPerMinute { get; set; } = 60;

    /// <summary>Messages sent per calling device per minute.</summary>
    public int MessagesSentPerMinute { get; set; } = 600;

    /// <summary>Pending messages per recipient device (mailbox quota).</summary>
    public int MaxPendingMessagesPerDevice { get; set; } = 10_000;

    /// <summary>Largest page of <c>GET /v1/messages</c>.</summary>
    public int MaxFetchLimit { get; set; } = 500;

    /// <summary>Page size of <c>GET /v1/messages</c> without <c>limit</c>.</summary>
    public int DefaultFetchLimit { get; set; } = 100;

    /// <summary>Ids in one <c>POST /v1/messages/ack</c>.</summary>
    public int MaxAcksPerRequest { get; set; } = 500;

    /// <summary>How long an unacknowledged message is kept.</summary>
    public TimeSpan MessageLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often expired messages are deleted.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest text frame a WebSocket client may send (an ack is under 100 bytes).</summary>
    public int MaxWebSocketFrameBytes { get; set; } = 4096;

    internal IEnumerable<string> Validate()
    {
        if (MaxRequestBodyBytes < 1024)
        {
            yield return "Limits.MaxRequestBodyBytes must be at least 1024.";
        }

        foreach ((string name, int value) in new[]
        {
            (nameof(MaxMessageContentBytes), MaxMessageContentBytes), (nameof(MaxMessagesPerRequest), MaxMessagesPerRequest),
            (nameof(MaxPreKeysPerUpload), MaxPreKeysPerUpload), (nameof(MaxStoredPreKeysPerKind), MaxStoredPreKeysPerKind),
            (nameof(MaxKeyBytes), MaxKeyBytes), (nameof(MaxSignatureBytes), MaxSignatureBytes),
            (nameof(BundleFetchesPerMinute), BundleFetchesPerMinute), (nameof(MessagesSentPerMinute), MessagesSentPerMinute),
            (nameof(MaxPendingMessagesPerDevice), MaxPendingMessagesPerDevice), (nameof(MaxFetchLimit), MaxFetchLimit),
            (nameof(DefaultFetchLimit), DefaultFetchLimit), (nameof(MaxAcksPerRequest), MaxAcksPerRequest),
            (nameof(MaxWebSocketFrameBytes), MaxWebSocketFrameBytes),
        })
        {
            if (value < 1)
            {
                yield return $"Limits.{name} must be positive.";
            }
        }

        if (MessagesSentPerMinute < MaxMessagesPerRequest)
        {
            yield return "Limits.MessagesSentPerMinute must be at least Limits.MaxMessagesPerRequest.";
        }

        if (MaxStoredPreKeysPerKind < MaxPreKeysPerUpload)
        {
            yield return "Limits.MaxStoredPreKeysPerKind must be at least Limits.MaxPreKeysPerUpload.";
        }

        if (DefaultFetchLimit > MaxFetchLimit)
        {
            yield return "Limits.DefaultFetchLimit must not exceed Limits.MaxFetchLimit.";
        }

        if (MessageLifetime <= TimeSpan.Zero || ExpiryInterval <= TimeSpan.Zero)
        {
            yield return "Limits.MessageLifetime and Limits.ExpiryInterval must be positive.";
        }
    }
}
