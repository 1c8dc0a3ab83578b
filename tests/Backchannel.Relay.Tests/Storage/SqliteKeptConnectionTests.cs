using System.Security.Cryptography;
using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>The kept connections and prepared statements of the writer and the hot reads (<see cref="SqliteKeptConnection"/>).</summary>
public sealed class SqliteKeptConnectionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-writer-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDatabase _database;
    private readonly IMessageStore _messages;
    private readonly IAccountStore _accounts;
    private readonly DeviceAddress _bob = new(Guid.NewGuid(), 1);

    public SqliteKeptConnectionTests()
    {
        _database = new SqliteDatabase(_directory);
        _messages = new SqliteMessageStore(_database);
        _accounts = new SqliteAccountStore(_database);
    }

    private NewMessage ToBob() => new(_bob, Guid.NewGuid(), new DeviceAddress(Guid.NewGuid(), 1), 1, RandomNumberGenerator.GetBytes(20), 1);

    [Fact]
    public async Task After_a_batch_whose_transaction_broke_later_writes_are_stored()
    {
        await _messages.StoreAsync([ToBob()], 100, default);

        // A write that ends the batch's transaction under the writer: the savepoint is gone, so the batch fails.
        await Assert.ThrowsAsync<InvalidOperationException>(() => _database.WriteAsync<int>(async (connection, transaction) =>
        {
            using SqliteCommand rollback = SqliteDatabase.Command(connection, transaction, "ROLLBACK;");
            await rollback.ExecuteNonQueryAsync();
            return (0, true);
        }, default));

        NewMessage after = ToBob();
        Assert.True((await _messages.StoreAsync([after], 100, default)).Stored[0]);
        Assert.Equal(1, await _messages.AckAsync(_bob, [after.Id], default));
        Assert.Equal(1, await _messages.CountAsync(_bob, default));
    }

    [Fact]
    public async Task The_kept_statements_run_again_with_new_values_across_batches()
    {
        NewMessage[] sent = [.. Enumerable.Range(0, 30).Select(_ => ToBob())];
        foreach (NewMessage[] chunk in sent.Chunk(7))
        {
            await _messages.StoreAsync(chunk, 1000, default);
        }

        MessagePage page = await _messages.FetchAsync(_bob, 100, 0, default);
        Assert.Equal(sent.Select(m => (m.Id, m.Content)), page.Messages.Select(m => (m.Id, m.Content)));
        Assert.Equal(10, await _messages.AckAsync(_bob, [.. sent.Take(10).Select(m => m.Id)], default));
        Assert.Equal(5, await _messages.AckAsync(_bob, [.. sent.Skip(10).Take(5).Select(m => m.Id)], default));
        Assert.Equal(15, await _messages.CountAsync(_bob, default));
    }

    [Fact]
    public async Task Kept_readers_see_each_new_write_and_hold_no_snapshot_that_would_stop_a_checkpoint()
    {
        await Parallel.ForAsync(0, 40, async (i, ct) =>
        {
            var device = new DeviceAddress(Guid.NewGuid(), 1);
            Assert.Null(await _accounts.GetDeviceAsync(device, ct));
            await _accounts.CreateAsync(device.Account, new byte[33], new DeviceRecord(device, i, new byte[32], 1), ct);
            Assert.Equal(i, (await _accounts.GetDeviceAsync(device, ct))!.RegistrationId);
            await _accounts.TouchDeviceAsync(device, 86_400_000L * (i + 1), ct);
            Assert.Equal(86_400_000L * (i + 1), (await _accounts.GetDeviceAsync(device, ct))!.LastSeenAt);
        });

        // busy = 0: no kept connection is inside a read transaction.
        using SqliteConnection other = await _database.OpenAsync(default);
        using SqliteCommand checkpoint = SqliteDatabase.Command(other, null, "PRAGMA wal_checkpoint(TRUNCATE);");
        using SqliteDataReader result = await checkpoint.ExecuteReaderAsync();
        Assert.True(await result.ReadAsync());
        Assert.Equal(0, result.GetInt32(0));
    }

    [Fact]
    public async Task A_large_ack_with_duplicates_and_unknown_ids_deletes_exactly_the_named_pending_messages()
    {
        NewMessage[] sent = [.. Enumerable.Range(0, 200).Select(_ => ToBob())];
        foreach (NewMessage[] chunk in sent.Chunk(100))
        {
            await _messages.StoreAsync(chunk, 1000, default);
        }

        Guid[] acked = [.. sent.Where((_, i) => i % 4 != 0).Select(m => m.Id)]; // 150 ids: chunks of 64, 8 and 1
        Guid[] request = [.. acked, .. acked.Take(30), .. Enumerable.Range(0, 20).Select(_ => Guid.NewGuid())];
        Assert.Equal(150, await _messages.AckAsync(_bob, request, default));

        MessagePage left = await _messages.FetchAsync(_bob, 500, 0, default);
        Assert.Equal(sent.Where((_, i) => i % 4 == 0).Select(m => m.Id), left.Messages.Select(m => m.Id));
        Assert.Equal(0, await _messages.AckAsync(_bob, acked, default));
    }

    [Fact]
    public async Task Prepared_commands_are_only_for_the_work_of_a_write()
    {
        using SqliteConnection other = await _database.OpenAsync(default);
        Assert.Throws<InvalidOperationException>(() => _database.Prepared(other, null!, "SELECT 1;"));
    }

    [Fact]
    public async Task After_dispose_a_write_fails_and_the_file_reopens_with_everything_stored()
    {
        NewMessage kept = ToBob();
        await _messages.StoreAsync([kept], 100, default);
        _database.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _messages.StoreAsync([ToBob()], 100, default));

        using var reopened = new SqliteDatabase(_directory);
        StoredMessage stored = Assert.Single((await ((IMessageStore)new SqliteMessageStore(reopened)).FetchAsync(_bob, 10, 0, default)).Messages);
        Assert.Equal(kept.Id, stored.Id);
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
