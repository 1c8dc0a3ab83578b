using System.Security.Cryptography;
using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>
/// Writes committed together (<see cref="SqliteDatabase.WriteAsync{T}(Func{SqliteConnection, SqliteTransaction, Task{ValueTuple{T, bool}}}, Action{T}, WriteUndo, CancellationToken)"/>),
/// with and without a savepoint each. Each test holds the writer with a first write so that the next ones queue up and
/// share one commit.
/// </summary>
public sealed class SqliteGroupCommitTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-group-commit-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDatabase _database;
    private readonly IMessageStore _messages;
    private readonly DeviceAddress _bob = new(Guid.NewGuid(), 1);
    private readonly DeviceAddress _carol = new(Guid.NewGuid(), 1);

    public SqliteGroupCommitTests()
    {
        _database = new SqliteDatabase(_directory);
        _messages = new SqliteMessageStore(_database);
    }

    private static NewMessage To(DeviceAddress recipient) =>
        new(recipient, Guid.NewGuid(), new DeviceAddress(Guid.NewGuid(), 1), 1, RandomNumberGenerator.GetBytes(20), 1);

    /// <summary>Starts a write that holds the writer until the returned source is completed.</summary>
    private async Task<(Task Held, TaskCompletionSource Release)> HoldWriterAsync()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task held = _database.WriteAsync<int>(async (_, _) =>
        {
            running.SetResult();
            await release.Task;
            return (0, true);
        }, default);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return (held, release);
    }

    /// <summary>Write work that inserts a message for carol, then fails half way.</summary>
    private async Task<(int, bool)> InsertForCarolThenThrowAsync(SqliteConnection connection, SqliteTransaction transaction)
    {
        using SqliteCommand insert = SqliteDatabase.Command(connection, transaction,
            "INSERT INTO messages (account, device, id, type, content, server_timestamp) VALUES (@a, 1, @id, 1, x'00', 1);",
            ("@a", SqliteDatabase.Key(_carol.Account)), ("@id", SqliteDatabase.Key(Guid.NewGuid())));
        await insert.ExecuteNonQueryAsync();
        throw new InvalidOperationException("the work failed half way");
    }

    [Fact]
    public async Task A_write_without_a_savepoint_that_throws_fails_its_whole_commit_and_nothing_of_it_is_stored()
    {
        (Task held, TaskCompletionSource release) = await HoldWriterAsync();
        NewMessage first = To(_bob);
        Task<StoreMessagesResult> store = _messages.StoreAsync([first], 100, default);
        Task<int> throwing = _database.WriteAsync<int>(InsertForCarolThenThrowAsync, committed: null, WriteUndo.ByTheWork, default);
        release.SetResult();
        await held;

        await Assert.ThrowsAsync<InvalidOperationException>(() => throwing);
        await Assert.ThrowsAsync<InvalidOperationException>(() => store);
        Assert.Equal(0, await _messages.CountAsync(_bob, default));
        Assert.Equal(0, await _messages.CountAsync(_carol, default));

        // The writer recovers: the next commit stores.
        Assert.True((await _messages.StoreAsync([first], 100, default)).Stored[0]);
    }

    [Fact]
    public async Task A_write_with_a_savepoint_that_throws_leaves_the_other_writes_of_its_commit()
    {
        (Task held, TaskCompletionSource release) = await HoldWriterAsync();
        NewMessage first = To(_bob);
        Task<StoreMessagesResult> store = _messages.StoreAsync([first], 100, default);
        Task<int> throwing = _database.WriteAsync<int>(InsertForCarolThenThrowAsync, default);
        release.SetResult();
        await held;

        await Assert.ThrowsAsync<InvalidOperationException>(() => throwing);
        Assert.True((await store).Stored[0]);
        Assert.Equal(1, await _messages.CountAsync(_bob, default));
        Assert.Equal(0, await _messages.CountAsync(_carol, default));
    }

    [Fact]
    public async Task A_batch_refused_at_the_quota_in_a_shared_commit_leaves_the_other_sends_and_acks_of_that_commit()
    {
        NewMessage acked = To(_carol);
        await _messages.StoreAsync([To(_bob), To(_bob), acked], 3, default);
        (Task held, TaskCompletionSource release) = await HoldWriterAsync();
        Task<StoreMessagesResult> refused = _messages.StoreAsync([To(_carol), To(_bob), To(_bob)], 3, default);
        NewMessage toCarol = To(_carol);
        Task<StoreMessagesResult> stored = _messages.StoreAsync([toCarol], 3, default);
        Task<int> ack = _messages.AckAsync(_carol, [acked.Id], default);
        release.SetResult();
        await held;

        StoreMessagesResult full = await refused;
        Assert.True(full.IsMailboxFull);
        Assert.Equal(_bob, full.FullMailbox);
        Assert.Equal([true], (await stored).Stored);
        Assert.Equal(1, await ack);
        Assert.Equal(2, await _messages.CountAsync(_bob, default));
        MessagePage carols = await _messages.FetchAsync(_carol, 10, 0, default);
        Assert.Equal(toCarol.Id, Assert.Single(carols.Messages).Id);
    }

    [Fact]
    public async Task Near_the_quota_retried_ids_are_counted_exactly_and_a_batch_that_fits_is_stored()
    {
        NewMessage retried = To(_bob);
        await _messages.StoreAsync([retried, To(_bob)], 3, default);

        // 2 pending + 2 sent is over 3 before the insert, but the retried id adds no row: 3 pending, within the quota.
        StoreMessagesResult result = await _messages.StoreAsync([retried, To(_bob)], 3, default);
        Assert.False(result.IsMailboxFull);
        Assert.Equal([false, true], result.Stored);
        Assert.Equal(3, await _messages.CountAsync(_bob, default));

        // And one more is refused with nothing stored.
        Assert.True((await _messages.StoreAsync([To(_bob)], 3, default)).IsMailboxFull);
        Assert.Equal(3, await _messages.CountAsync(_bob, default));
    }

    [Fact]
    public async Task Writes_after_dispose_fail_both_while_the_writer_thread_is_still_there_and_after_it_has_ended()
    {
        await _messages.StoreAsync([To(_bob)], 100, default);
        _database.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _messages.StoreAsync([To(_bob)], 100, default));

        // The idle writer thread notices the disposal within a second or so and ends; writes still fail, not hang.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _messages.StoreAsync([To(_bob)], 100, default).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        _database.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
