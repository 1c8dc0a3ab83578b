namespace Backchannel.Relay.Storage.InMemory;

/// <summary><see cref="IMessageStore"/> in process memory ("durable" only for the life of the process).</summary>
internal sealed class InMemoryMessageStore : IMessageStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<DeviceAddress, SortedDictionary<long, StoredMessage>> _mailboxes = [];
    private long _sequence;

    public Task<StoreMessagesResult> StoreAsync(
        IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        lock (_lock)
        {
            var stored = new bool[messages.Count];
            var seen = new HashSet<(DeviceAddress, Guid)>();
            var added = new Dictionary<DeviceAddress, int>();
            for (int i = 0; i < messages.Count; i++)
            {
                NewMessage message = messages[i];
                bool exists = _mailboxes.TryGetValue(message.Recipient, out SortedDictionary<long, StoredMessage>? box)
                    && box.Values.Any(m => m.Id == message.Id);
                stored[i] = !exists && seen.Add((message.Recipient, message.Id));
                if (stored[i])
                {
                    added[message.Recipient] = added.GetValueOrDefault(message.Recipient) + 1;
                }
            }

            foreach ((DeviceAddress recipient, int count) in added)
            {
                int pending = _mailboxes.TryGetValue(recipient, out SortedDictionary<long, StoredMessage>? box) ? box.Count : 0;
                if (pending + count > maxPendingPerDevice)
                {
                    return Task.FromResult(StoreMessagesResult.MailboxFull(recipient));
                }
            }

            for (int i = 0; i < messages.Count; i++)
            {
                if (!stored[i])
                {
                    continue;
                }

                NewMessage m = messages[i];
                if (!_mailboxes.TryGetValue(m.Recipient, out SortedDictionary<long, StoredMessage>? box))
                {
                    box = [];
                    _mailboxes[m.Recipient] = box;
                }

                long sequence = ++_sequence;
                box[sequence] = new StoredMessage(m.Id, m.Source, m.Type, m.Content.ToArray(), m.ServerTimestamp, sequence);
                onDurable?.Invoke(m.Recipient, box[sequence] with { Content = m.Content.ToArray() });
            }

            return Task.FromResult(new StoreMessagesResult(stored, null));
        }
    }

    public Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_lock)
        {
            if (!_mailboxes.TryGetValue(recipient, out SortedDictionary<long, StoredMessage>? box))
            {
                return Task.FromResult(new MessagePage([], false));
            }

            List<StoredMessage> page = [.. box.Values.Where(m => m.Sequence > afterSequence).Take(limit + 1)];
            bool more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(limit);
            }

            return Task.FromResult(new MessagePage([.. page.Select(m => m with { Content = m.Content.ToArray() })], more));
        }
    }

    public Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        lock (_lock)
        {
            if (!_mailboxes.TryGetValue(recipient, out SortedDictionary<long, StoredMessage>? box))
            {
                return Task.FromResult(0);
            }

            var wanted = ids.ToHashSet();
            long[] doomed = [.. box.Values.Where(m => wanted.Contains(m.Id)).Select(m => m.Sequence)];
            foreach (long sequence in doomed)
            {
                box.Remove(sequence);
            }

            return Task.FromResult(doomed.Length);
        }
    }

    public Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            int deleted = 0;
            foreach (SortedDictionary<long, StoredMessage> box in _mailboxes.Values)
            {
                long[] doomed = [.. box.Values.Where(m => m.ServerTimestamp < serverTimestampBefore).Select(m => m.Sequence)];
                foreach (long sequence in doomed)
                {
                    box.Remove(sequence);
                }

                deleted += doomed.Length;
            }

            return Task.FromResult(deleted);
        }
    }

    public Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            int count = _mailboxes.TryGetValue(recipient, out SortedDictionary<long, StoredMessage>? box) ? box.Count : 0;
            _mailboxes.Remove(recipient);
            return Task.FromResult(count);
        }
    }

    public Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_mailboxes.TryGetValue(recipient, out SortedDictionary<long, StoredMessage>? box) ? box.Count : 0);
        }
    }
}
