using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Backchannel.Relay.Tests.Hosting;

/// <summary>
/// A relay over real SQLite stores whose writes fail as on a read-only volume (SQLITE_READONLY) while
/// <see cref="ReadOnly"/> is set; reads go to the real stores. The real condition (a volume mounted read-only) is
/// produced in tests/Backchannel.Reliability.Tests.
/// </summary>
public sealed class ReadOnlyStorageFixture : RelayFixture
{
    /// <summary>SQLITE_READONLY, what SQLite reports for a write to a read-only file.</summary>
    public const int SqliteReadOnly = 8;

    private readonly Switch _switch;

    public ReadOnlyStorageFixture()
        : this(new Switch())
    {
    }

    private ReadOnlyStorageFixture(Switch readOnly)
        : base(services =>
        {
            services.AddSingleton<IMessageStore>(sp => new ReadOnlyMessageStore(ActivatorUtilities.CreateInstance<SqliteMessageStore>(sp), readOnly));
            services.AddSingleton<IAccountStore>(sp => new ReadOnlyAccountStore(ActivatorUtilities.CreateInstance<SqliteAccountStore>(sp), readOnly));
            services.AddSingleton<IStorageHealth>(sp => new ReadOnlyHealth(ActivatorUtilities.CreateInstance<SqliteStorageHealth>(sp), readOnly));
        })
    {
        _switch = readOnly;
    }

    /// <summary>Whether writes fail as on read-only storage.</summary>
    public bool ReadOnly
    {
        get => _switch.On;
        set => _switch.On = value;
    }

    /// <summary>While set, stored devices look as if they were last seen long ago, so authenticating them writes.</summary>
    public bool StaleLastSeen
    {
        get => _switch.StaleLastSeen;
        set => _switch.StaleLastSeen = value;
    }

    private static SqliteException Refused() => new("attempt to write a readonly database", SqliteReadOnly);

    private sealed class Switch
    {
        public volatile bool On;
        public volatile bool StaleLastSeen;

        public void ThrowIfOn()
        {
            if (On)
            {
                throw Refused();
            }
        }
    }

    private sealed class ReadOnlyMessageStore(IMessageStore inner, Switch readOnly) : IMessageStore
    {
        public Task<StoreMessagesResult> StoreAsync(
            IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.StoreAsync(messages, maxPendingPerDevice, onDurable, cancellationToken);
        }

        public Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken) =>
            inner.FetchAsync(recipient, limit, afterSequence, cancellationToken);

        public Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.AckAsync(recipient, ids, cancellationToken);
        }

        public Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.DeleteExpiredAsync(serverTimestampBefore, cancellationToken);
        }

        public Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken) => inner.CountAsync(recipient, cancellationToken);

        public Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.DeleteMailboxAsync(recipient, cancellationToken);
        }
    }

    private sealed class ReadOnlyAccountStore(IAccountStore inner, Switch readOnly) : IAccountStore
    {
        public Task<bool> CreateAsync(Guid account, byte[] identityKey, byte[]? accessKeyHash, DeviceRecord firstDevice, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.CreateAsync(account, identityKey, accessKeyHash, firstDevice, cancellationToken);
        }

        public async Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken)
        {
            DeviceRecord? record = await inner.GetDeviceAsync(device, cancellationToken);
            return record is not null && readOnly.StaleLastSeen ? record with { LastSeenAt = null } : record;
        }

        public Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken) => inner.GetAccountAsync(account, cancellationToken);

        public Task<bool> SetAccessKeyAsync(Guid account, byte[] accessKeyHash, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.SetAccessKeyAsync(account, accessKeyHash, cancellationToken);
        }

        public Task CreateLinkTokenAsync(Guid account, byte[] tokenHash, long now, long expiresAt, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.CreateLinkTokenAsync(account, tokenHash, now, expiresAt, cancellationToken);
        }

        public Task<LinkDeviceResult> LinkDeviceAsync(Guid account, byte[] tokenHash, long now, NewDevice device, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.LinkDeviceAsync(account, tokenHash, now, device, cancellationToken);
        }

        public Task<RemoveDeviceResult> RemoveDeviceAsync(DeviceAddress device, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.RemoveDeviceAsync(device, cancellationToken);
        }

        public Task TouchDeviceAsync(DeviceAddress device, long lastSeenAt, CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.TouchDeviceAsync(device, lastSeenAt, cancellationToken);
        }
    }

    private sealed class ReadOnlyHealth(IStorageHealth inner, Switch readOnly) : IStorageHealth
    {
        public Task CheckAsync(CancellationToken cancellationToken)
        {
            readOnly.ThrowIfOn();
            return inner.CheckAsync(cancellationToken);
        }
    }
}
