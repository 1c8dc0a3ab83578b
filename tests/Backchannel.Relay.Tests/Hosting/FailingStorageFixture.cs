using Backchannel.Relay.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Backchannel.Relay.Tests.Hosting;

/// <summary>A relay whose message store and health probe fail as a full disk would.</summary>
public sealed class FailingStorageFixture() : RelayFixture(services =>
{
    services.AddSingleton<IMessageStore, FullDiskMessageStore>();
    services.AddSingleton<IStorageHealth, FullDiskHealth>();
})
{
    /// <summary>SQLITE_FULL, what SQLite reports when the disk is full.</summary>
    public const int SqliteFull = 13;

    private static SqliteException Full() => new("database or disk is full", SqliteFull);

    private sealed class FullDiskMessageStore : IMessageStore
    {
        public Task<StoreMessagesResult> StoreAsync(
            IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken) => throw Full();

        public Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken) => throw Full();

        public Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) => throw Full();

        public Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken) => throw Full();

        public Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken) => throw Full();

        public Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken) => throw Full();
    }

    private sealed class FullDiskHealth : IStorageHealth
    {
        private int _calls;

        // The first check is the relay's own at start-up; every later one fails.
        public Task CheckAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1 ? Task.CompletedTask : throw Full();
    }
}
