namespace Backchannel.Relay.Provisioning;

/// <summary>
/// Short-lived mailboxes through which an existing device hands a new one what it needs (encrypted by the client to
/// the new device's ephemeral key: the relay sees opaque bytes). They live in memory only: a relay restart drops
/// them and the new device starts over. Guarantees: a mailbox takes at most one message; a message is handed out
/// once and deleted as it is; expired mailboxes are gone; at most <see cref="RelayLimits.MaxOpenProvisioningMailboxes"/>
/// are open at once.
/// </summary>
internal sealed class ProvisioningMailboxes(RelayLimits limits, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Mailbox> _mailboxes = [];

    /// <summary>Opens a mailbox; null when too many are open.</summary>
    public Guid? Open()
    {
        lock (_lock)
        {
            Purge();
            if (_mailboxes.Count >= limits.MaxOpenProvisioningMailboxes)
            {
                return null;
            }

            Guid id = Guid.NewGuid();
            _mailboxes[id] = new Mailbox(time.GetUtcNow() + limits.ProvisioningLifetime);
            return id;
        }
    }

    /// <summary>Puts the message in; <see cref="PutResult.Taken"/> when one was put in before (fetched or not).</summary>
    public PutResult Put(Guid id, byte[] message)
    {
        lock (_lock)
        {
            Purge();
            if (!_mailboxes.TryGetValue(id, out Mailbox? mailbox))
            {
                return PutResult.NotFound;
            }

            if (mailbox.Filled)
            {
                return PutResult.Taken;
            }

            mailbox.Message = message;
            mailbox.Filled = true;
            return PutResult.Stored;
        }
    }

    /// <summary>Takes the message out (and closes the mailbox), or null when the mailbox is empty or gone.</summary>
    public byte[]? Take(Guid id)
    {
        lock (_lock)
        {
            Purge();
            if (!_mailboxes.TryGetValue(id, out Mailbox? mailbox) || mailbox.Message is not byte[] message)
            {
                return null;
            }

            _mailboxes.Remove(id);
            return message;
        }
    }

    private void Purge()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (Guid expired in _mailboxes.Where(m => m.Value.ExpiresAt <= now).Select(m => m.Key).ToList())
        {
            _mailboxes.Remove(expired);
        }
    }

    public enum PutResult
    {
        Stored,
        NotFound,
        Taken,
    }

    private sealed class Mailbox(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public byte[]? Message { get; set; }

        public bool Filled { get; set; }
    }
}
