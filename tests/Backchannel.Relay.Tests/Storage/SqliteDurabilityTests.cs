using System.Security.Cryptography;
using Backchannel.Relay.Storage;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>What only a persistent backend promises: data survives closing and reopening the file.</summary>
public sealed class SqliteDurabilityTests
{
    [Fact]
    public async Task Messages_keys_and_accounts_survive_disposing_and_reopening_the_store()
    {
        StoreBackend first = StoreBackend.Sqlite();
        var bob = new DeviceAddress(Guid.NewGuid(), 1);
        var message = new NewMessage(bob, Guid.NewGuid(), new DeviceAddress(Guid.NewGuid(), 1), 3, RandomNumberGenerator.GetBytes(100), 42);
        try
        {
            await first.Accounts.CreateAsync(bob.Account, new byte[33], new DeviceRecord(bob, 9, new byte[32], 1), default);
            await first.PreKeys.UpdateAsync(bob, new PreKeyUpdate(
                new SignedPreKey(1, new byte[33], new byte[64]), new SignedPreKey(2, new byte[1569], new byte[64]),
                [new PreKey(7, new byte[33])], []), 100, default);
            await first.Messages.StoreAsync([message], 100, default);
            first.Dispose();

            using StoreBackend second = StoreBackend.Sqlite(first.Directory);
            StoredMessage stored = Assert.Single((await second.Messages.FetchAsync(bob, 10, 0, default)).Messages);
            Assert.Equal(message.Id, stored.Id);
            Assert.Equal(message.Content, stored.Content);
            Assert.Equal(9, (await second.Accounts.GetDeviceAsync(bob, default))!.RegistrationId);
            Assert.Equal(7u, (await second.PreKeys.TakeAsync(bob, default))!.PreKey!.Id);
        }
        finally
        {
            first.DeleteFiles();
        }
    }

    [Fact]
    public void The_database_uses_wal_and_lives_in_the_data_directory()
    {
        using StoreBackend backend = StoreBackend.Sqlite();
        try
        {
            string path = Path.Combine(backend.Directory!, "relay.db");
            Assert.True(File.Exists(path));
            using var connection = new SqliteConnection($"Data Source={path}");
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", (string)command.ExecuteScalar()!);
        }
        finally
        {
            backend.Dispose();
            backend.DeleteFiles();
        }
    }
}
