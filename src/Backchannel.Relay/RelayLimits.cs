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

    /// <summary>
    /// New credentials (<c>POST /v1/accounts</c> and <c>POST /v1/devices</c> together) per client IP address per hour:
    /// plenty for people behind one address, few for a script filling the database.
    /// </summary>
    public int RegistrationsPerIpPerHour { get; set; } = 60;

    /// <summary>Messages one device may send to one recipient account per minute (on top of <see cref="MessagesSentPerMinute"/>), so one sender cannot fill a mailbox alone.</summary>
    public int MessagesPerRecipientPerMinute { get; set; } = 300;

    /// <summary>Sealed messages one recipient account may receive per minute (senders are anonymous, so the bound is on the recipient).</summary>
    public int SealedMessagesPerRecipientPerMinute { get; set; } = 600;

    /// <summary>How long a sender certificate is valid (Signal issues day-long certificates).</summary>
    public TimeSpan SenderCertificateLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a link token and a provisioning mailbox live: enough to scan a code and type a name.</summary>
    public TimeSpan ProvisioningLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Link tokens one device may create per minute.</summary>
    public int LinkTokensPerMinute { get; set; } = 10;

    /// <summary>Provisioning mailboxes one client IP address may open per minute.</summary>
    public int ProvisioningMailboxesPerIpPerMinute { get; set; } = 10;

    /// <summary>Provisioning polls (<c>GET /v1/provisioning/{id}</c>) per client IP address per minute: one a second and some.</summary>
    public int ProvisioningPollsPerIpPerMinute { get; set; } = 120;

    /// <summary>Provisioning mailboxes open at once on the whole relay (they live in memory: at most this many times the message bound).</summary>
    public int MaxOpenProvisioningMailboxes { get; set; } = 500;

    /// <summary>Largest provisioning message (decoded): an identity key pair and a few ids fit in well under 1 KiB.</summary>
    public int MaxProvisioningMessageBytes { get; set; } = 64 * 1024;

    /// <summary>How long request headers may take to arrive (Kestrel drops slower connections).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a request body may arrive below 240 bytes/s before Kestrel drops the connection.</summary>
    public TimeSpan SlowBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

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
            (nameof(RegistrationsPerIpPerHour), RegistrationsPerIpPerHour), (nameof(MessagesPerRecipientPerMinute), MessagesPerRecipientPerMinute),
            (nameof(SealedMessagesPerRecipientPerMinute), SealedMessagesPerRecipientPerMinute), (nameof(LinkTokensPerMinute), LinkTokensPerMinute),
            (nameof(ProvisioningMailboxesPerIpPerMinute), ProvisioningMailboxesPerIpPerMinute),
            (nameof(ProvisioningPollsPerIpPerMinute), ProvisioningPollsPerIpPerMinute),
            (nameof(MaxOpenProvisioningMailboxes), MaxOpenProvisioningMailboxes), (nameof(MaxProvisioningMessageBytes), MaxProvisioningMessageBytes),
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

        if (SenderCertificateLifetime <= TimeSpan.Zero || ProvisioningLifetime <= TimeSpan.Zero)
        {
            yield return "Limits.SenderCertificateLifetime and Limits.ProvisioningLifetime must be positive.";
        }

        if (RequestHeadersTimeout <= TimeSpan.Zero || SlowBodyGracePeriod <= TimeSpan.Zero)
        {
            yield return "Limits.RequestHeadersTimeout and Limits.SlowBodyGracePeriod must be positive.";
        }
    }
}
