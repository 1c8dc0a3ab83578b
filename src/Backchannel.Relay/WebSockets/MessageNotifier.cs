using System.Threading.Channels;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// In-process "new mail" for connected sockets, keyed by recipient device, separate from storage. The store hands
/// each message to <see cref="Push"/> once it is durable, in mailbox order; each connected socket holds a
/// subscription that keeps those messages (up to a bound) so the socket sends them without reading them back from
/// the store. Past the bound, or after <see cref="Notify"/>, the subscription drops what it kept and tells its
/// socket to read the store instead. Wake-ups coalesce, so a slow socket never makes the notifier buffer more than
/// the bound.
/// </summary>
internal sealed class MessageNotifier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<DeviceAddress, List<Subscription>> _subscriptions = [];

    /// <summary>Subscribes to <paramref name="device"/>'s mailbox; dispose to unsubscribe.</summary>
    public Subscription Subscribe(DeviceAddress device)
    {
        var subscription = new Subscription(this, device);
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(device, out List<Subscription>? list))
            {
                list = [];
                _subscriptions[device] = list;
            }

            list.Add(subscription);
        }

        return subscription;
    }

    /// <summary>
    /// Hands a durable new message of <paramref name="device"/>'s mailbox to its subscriptions. Called in mailbox
    /// order (see <c>IMessageStore.StoreAsync</c>), so each subscription keeps its messages oldest first.
    /// </summary>
    public void Push(DeviceAddress device, StoredMessage message)
    {
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(device, out List<Subscription>? list))
            {
                return;
            }

            // Under the lock, so that pushes of one device reach a subscription in the order they were made.
            foreach (Subscription subscription in list)
            {
                subscription.Keep(message);
            }
        }
    }

    /// <summary>Wakes every subscription of <paramref name="device"/> to read its mailbox from the store.</summary>
    public void Notify(DeviceAddress device)
    {
        Subscription[] targets;
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(device, out List<Subscription>? list))
            {
                return;
            }

            targets = [.. list];
        }

        foreach (Subscription subscription in targets)
        {
            subscription.MustRead();
        }
    }

    /// <summary>Ends every subscription of <paramref name="device"/> (the device was removed): their sockets close.</summary>
    public void Revoke(DeviceAddress device)
    {
        Subscription[] targets;
        lock (_lock)
        {
            if (!_subscriptions.Remove(device, out List<Subscription>? list))
            {
                return;
            }

            targets = [.. list];
        }

        foreach (Subscription subscription in targets)
        {
            subscription.End();
        }
    }

    /// <summary>How many subscriptions <paramref name="device"/> has (tests check that closed sockets leave nothing behind).</summary>
    public int CountSubscribers(DeviceAddress device)
    {
        lock (_lock)
        {
            return _subscriptions.TryGetValue(device, out List<Subscription>? list) ? list.Count : 0;
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_lock)
        {
            if (_subscriptions.TryGetValue(subscription.Device, out List<Subscription>? list) && list.Remove(subscription) && list.Count == 0)
            {
                _subscriptions.Remove(subscription.Device);
            }
        }
    }

    /// <summary>One listener: the messages pushed since it last looked (bounded), and at most one pending wake-up.</summary>
    public sealed class Subscription : IDisposable
    {
        /// <summary>Most messages kept for a socket that has not taken them yet; past either bound it reads the store.</summary>
        private const int MaxKept = 1000;

        private const int MaxKeptContentBytes = 1 << 20;

        private readonly MessageNotifier _owner;
        private readonly Lock _keptLock = new();
        private List<StoredMessage> _kept = [];
        private int _keptBytes;
        private bool _mustRead;
        private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

        internal Subscription(MessageNotifier owner, DeviceAddress device)
        {
            _owner = owner;
            Device = device;
        }

        public DeviceAddress Device { get; }

        /// <summary>Waits for the next signal; false once disposed.</summary>
        public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
        {
            if (!await _signals.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            _signals.Reader.TryRead(out _);
            return true;
        }

        public void Dispose()
        {
            _owner.Remove(this);
            _signals.Writer.TryComplete();
        }

        /// <summary>
        /// The messages pushed since the last call, oldest first, and whether the socket must read the store
        /// (something was dropped, or <see cref="Notify"/> was called): then the list is empty, and everything it
        /// would have held is in the store.
        /// </summary>
        public (List<StoredMessage> Pushed, bool MustRead) Take()
        {
            lock (_keptLock)
            {
                if (_mustRead)
                {
                    _mustRead = false;
                    return ([], true);
                }

                List<StoredMessage> pushed = _kept;
                _kept = [];
                _keptBytes = 0;
                return (pushed, false);
            }
        }

        internal void Keep(StoredMessage message)
        {
            lock (_keptLock)
            {
                if (!_mustRead)
                {
                    if (_kept.Count < MaxKept && _keptBytes + message.Content.Length <= MaxKeptContentBytes)
                    {
                        _kept.Add(message);
                        _keptBytes += message.Content.Length;
                    }
                    else
                    {
                        // The socket is behind: it reads the store, which holds all of these, once it wakes.
                        DropKept();
                    }
                }
            }

            _signals.Writer.TryWrite(true);
        }

        internal void MustRead()
        {
            lock (_keptLock)
            {
                DropKept();
            }

            _signals.Writer.TryWrite(true);
        }

        private void DropKept()
        {
            _mustRead = true;
            _kept = [];
            _keptBytes = 0;
        }

        internal void End() => _signals.Writer.TryComplete();
    }
}
