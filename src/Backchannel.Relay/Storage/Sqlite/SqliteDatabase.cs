using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// The relay's SQLite file (<c>DATA/relay.db</c>): creates the schema on start, opens one pooled connection per
/// operation and serialises writers.
/// Durability: WAL journal with <c>synchronous=FULL</c>, so a commit has reached the disk (the WAL is synced)
/// before it returns; NORMAL would let the last commits vanish on power loss, and a send must not be answered
/// before its message is durable (docs/relay-api.md).
/// Concurrency: readers run in parallel (WAL); writers in this process take <see cref="_writeGate"/> and then
/// <c>BEGIN IMMEDIATE</c>, so they never deadlock on a lock upgrade; a busy timeout covers other processes.
/// PostgreSQL can follow: the statements (named <c>@parameters</c>, <c>ON CONFLICT</c>, <c>DELETE … RETURNING</c>)
/// run there as they are; the schema needs <c>uuid</c>/<c>bytea</c>/<c>bigint generated always as identity</c>, and a
/// take needs <c>FOR UPDATE SKIP LOCKED</c> (or SERIALIZABLE) in place of this single writer.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    /// <summary>The file name inside the data directory.</summary>
    public const string FileName = "relay.db";

    /// <summary>Bumped on every schema change; a newer file is refused rather than misread, an older one migrated.</summary>
    private const int SchemaVersion = 2;

    /// <summary>How long a statement waits for another process's lock before failing.</summary>
    private const int BusyTimeoutMilliseconds = 15_000;

    private const string Schema = """
        -- access_key_hash: SHA-256 of the unidentified-access key (sealed delivery), NULL when none is set.
        CREATE TABLE IF NOT EXISTS accounts (
            id TEXT NOT NULL PRIMARY KEY,
            identity_key BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            access_key_hash BLOB
        ) WITHOUT ROWID;
        -- last_seen_at: the start of the UTC day the device last authenticated.
        CREATE TABLE IF NOT EXISTS devices (
            account TEXT NOT NULL,
            device INTEGER NOT NULL,
            registration_id INTEGER NOT NULL,
            credential_hash BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            name TEXT,
            last_seen_at INTEGER,
            PRIMARY KEY (account, device)
        ) WITHOUT ROWID;
        -- One-time tokens with which an existing device lets a new one link to the account (hash only).
        CREATE TABLE IF NOT EXISTS link_tokens (
            token_hash BLOB NOT NULL PRIMARY KEY,
            account TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- kind 1: signed EC prekey, kind 2: last-resort Kyber prekey; one of each per device.
        CREATE TABLE IF NOT EXISTS device_keys (
            account TEXT NOT NULL,
            device INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY (account, device, kind)
        ) WITHOUT ROWID;
        -- kind 1: one-time EC prekey (signature NULL), kind 2: one-time Kyber prekey.
        CREATE TABLE IF NOT EXISTS one_time_keys (
            account TEXT NOT NULL,
            device INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            key_id INTEGER NOT NULL,
            public_key BLOB NOT NULL,
            signature BLOB,
            PRIMARY KEY (account, device, kind, key_id)
        ) WITHOUT ROWID;
        -- AUTOINCREMENT: a sequence is never reused, so it can serve as a fetch cursor.
        -- A sealed message (sealed = 1) has NULL source and source_device: nothing here names its sender.
        CREATE TABLE IF NOT EXISTS messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            device INTEGER NOT NULL,
            id TEXT NOT NULL,
            source TEXT,
            source_device INTEGER,
            type INTEGER NOT NULL,
            content BLOB NOT NULL,
            server_timestamp INTEGER NOT NULL,
            sealed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (account, device, id)
        );
        CREATE INDEX IF NOT EXISTS messages_by_recipient ON messages (account, device, seq);
        CREATE INDEX IF NOT EXISTS messages_by_time ON messages (server_timestamp);
        """;

    /// <summary>
    /// Version 1 to 2: access keys, device names and last-seen days, link tokens, and messages whose source may be
    /// NULL (sealed). SQLite cannot drop a NOT NULL constraint, so the messages table is rebuilt.
    /// </summary>
    private const string MigrateFrom1 = """
        ALTER TABLE accounts ADD COLUMN access_key_hash BLOB;
        ALTER TABLE devices ADD COLUMN name TEXT;
        ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
        ALTER TABLE messages RENAME TO messages_v1;
        DROP INDEX IF EXISTS messages_by_recipient;
        DROP INDEX IF EXISTS messages_by_time;
        """;

    private const string CopyMessagesFrom1 = """
        INSERT INTO messages (seq, account, device, id, source, source_device, type, content, server_timestamp, sealed)
        SELECT seq, account, device, id, source, source_device, type, content, server_timestamp, 0 FROM messages_v1;
        DROP TABLE messages_v1;
        """;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>Opens (creating if needed) the database in <paramref name="directory"/> and brings its schema up.</summary>
    public SqliteDatabase(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
        CreateSchema();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens a connection with the per-connection settings applied.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using SqliteCommand pragmas = connection.CreateCommand();
            pragmas.CommandText = $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={BusyTimeoutMilliseconds};";
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> on its own connection.</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction (one writer at a time); commits when it returns
    /// <c>Commit = true</c>, rolls back when it returns false or throws.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using SqliteConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            (T result, bool commit) = await work(connection, transaction).ConfigureAwait(false);
            if (commit)
            {
                // Not cancellable: once the work is done, the commit is the answer.
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Creates a command on <paramref name="connection"/> with the given SQL and parameters.</summary>
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>How account ids are stored: the lowercase UUID text.</summary>
    public static string Key(Guid id) => id.ToString("D");

    public void Dispose()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeGate.Dispose();
    }

    private void CreateSchema()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using (SqliteCommand wal = Command(connection, null, "PRAGMA journal_mode=WAL;"))
        {
            wal.ExecuteNonQuery();
        }

        using SqliteTransaction transaction = connection.BeginTransaction();
        long version;
        using (SqliteCommand read = Command(connection, transaction, "PRAGMA user_version;"))
        {
            version = (long)read.ExecuteScalar()!;
        }

        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"{Path} has schema version {version}; this relay knows up to {SchemaVersion}.");
        }

        if (version == 1)
        {
            using SqliteCommand migrate = Command(connection, transaction, MigrateFrom1);
            migrate.ExecuteNonQuery();
        }

        using (SqliteCommand create = Command(connection, transaction, Schema + $"\nPRAGMA user_version = {SchemaVersion};"))
        {
            create.ExecuteNonQuery();
        }

        if (version == 1)
        {
            using SqliteCommand copy = Command(connection, transaction, CopyMessagesFrom1);
            copy.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
