using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.InMemory;
using Backchannel.Relay.Storage.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>One backend's stores for a contract test; SQLite lives in a temporary folder removed on dispose.</summary>
public sealed class StoreBackend : IDisposable
{
    private readonly SqliteDatabase? _database;

    private StoreBackend(SqliteDatabase? database, string? directory)
    {
        _database = database;
        Directory = directory;
        Accounts = database is null ? new InMemoryAccountStore() : new SqliteAccountStore(database);
        PreKeys = database is null ? new InMemoryPreKeyStore() : new SqlitePreKeyStore(database);
        Messages = database is null ? new InMemoryMessageStore() : new SqliteMessageStore(database);
    }

    public string? Directory { get; }

    internal IAccountStore Accounts { get; }

    internal IPreKeyStore PreKeys { get; }

    internal IMessageStore Messages { get; }

    public static StoreBackend InMemory() => new(null, null);

    public static StoreBackend Sqlite(string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "bc-store-tests-" + Guid.NewGuid().ToString("N"));
        return new StoreBackend(new SqliteDatabase(directory), directory);
    }

    public void Dispose()
    {
        _database?.Dispose();
    }

    public void DeleteFiles()
    {
        if (Directory is not null && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
