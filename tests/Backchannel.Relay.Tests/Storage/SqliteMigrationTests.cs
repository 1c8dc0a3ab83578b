using Backchannel.Relay.Storage;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>A relay.db written by the first relay (schema version 1) opens under the current schema with its data.</summary>
public sealed class SqliteMigrationTests
{
    private const string Version1 = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE accounts (id TEXT NOT NULL PRIMARY KEY, identity_key BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE devices (account TEXT NOT NULL, device INTEGER NOT NULL, registration_id INTEGER NOT NULL,
            credential_hash BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (account, device)) WITHOUT ROWID;
        CREATE TABLE device_keys (account TEXT NOT NULL, device INTEGER NOT NULL, kind INTEGER NOT NULL, key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (account, device, kind)) WITHOUT ROWID;
        CREATE TABLE one_time_keys (account TEXT NOT NULL, device INTEGER NOT NULL, kind INTEGER NOT NULL, key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL, signature BLOB, PRIMARY KEY (account, device, kind, key_id)) WITHOUT ROWID;
        CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, device INTEGER NOT NULL, id TEXT NOT NULL,
            source TEXT NOT NULL, source_device INTEGER NOT NULL, type INTEGER NOT NULL, content BLOB NOT NULL,
            server_timestamp INTEGER NOT NULL, UNIQUE (account, device, id));
        CREATE INDEX messages_by_recipient ON messages (account, device, seq);
        CREATE INDEX messages_by_time ON messages (server_timestamp);
        PRAGMA user_version = 1;
        """;

    [Fact]
    public async Task A_version_1_database_is_migrated_keeping_accounts_and_messages()
    {
        string directory = Path.Combine(Path.GetTempPath(), "bc-migrate-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var bob = new DeviceAddress(Guid.NewGuid(), 1);
        var alice = new DeviceAddress(Guid.NewGuid(), 1);
        Guid messageId = Guid.NewGuid();
        try
        {
            using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "relay.db")};Pooling=False"))
            {
                connection.Open();
                using SqliteCommand create = connection.CreateCommand();
                create.CommandText = Version1 + $"""

                    INSERT INTO accounts VALUES ('{bob.Account:D}', x'05', 1);
                    INSERT INTO devices VALUES ('{bob.Account:D}', 1, 7, x'00', 1);
                    INSERT INTO messages (account, device, id, source, source_device, type, content, server_timestamp)
                    VALUES ('{bob.Account:D}', 1, '{messageId:D}', '{alice.Account:D}', 1, 3, x'2a', 5);
                    """;
                create.ExecuteNonQuery();
            }

            using StoreBackend backend = StoreBackend.Sqlite(directory);
            StoredMessage message = Assert.Single((await backend.Messages.FetchAsync(bob, 10, 0, default)).Messages);
            Assert.Equal(messageId, message.Id);
            Assert.Equal(alice, message.Source);
            Assert.Equal(7, (await backend.Accounts.GetDeviceAsync(bob, default))!.RegistrationId);

            await backend.Messages.StoreAsync([new NewMessage(bob, Guid.NewGuid(), null, 6, [1], 6)], 100, default);
            MessagePage page = await backend.Messages.FetchAsync(bob, 10, 0, default);
            Assert.Equal(2, page.Messages.Count);
            Assert.True(page.Messages[1].Sequence > page.Messages[0].Sequence);
            Assert.True(page.Messages[1].Sealed);
            Assert.True(await backend.Accounts.SetAccessKeyAsync(bob.Account, new byte[32], default));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
