using System.Threading.Channels;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// In-process "new mail" signals keyed by recipient device, separate from storage: a send notifies after its
/// messages are stored; each connected socket holds a subscription and, when signalled, reads the store.
/// A signal carries no data, and signals coalesce, so a slow socket never makes the notifier buffer.
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

    /// <summary>Wakes every subscription of <paramref name="device"/>.</summary>
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
            subscription.Signal();
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

    /// <summary>One listener's signal: at most one pending wake-up.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly MessageNotifier _owner;
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

        internal void Signal() => _signals.Writer.TryWrite(true);

        internal void End() => _signals.Writer.TryComplete();
    }
}
