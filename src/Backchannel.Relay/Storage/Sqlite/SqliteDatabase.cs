using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// The relay's SQLite file (<c>DATA/relay.db</c>): creates the schema on start, opens one pooled connection per
/// read (or borrows a kept one for the hot reads) and serialises writers onto one kept connection
/// (<see cref="SqliteKeptConnection"/>).
/// Durability: WAL journal with <c>synchronous=FULL</c>, so a commit has reached the disk (the WAL is synced)
/// before it returns; NORMAL would let the last commits vanish on power loss, and a send must not be answered
/// before its message is durable (docs/relay-api.md).
/// Concurrency: readers run in parallel (WAL); writers in this process queue for one writer task (group commit, see <see cref="WriteAsync"/>), which takes
/// <c>BEGIN IMMEDIATE</c>, so they never deadlock on a lock upgrade; a busy timeout covers other processes.
/// PostgreSQL can follow: the statements (named <c>@parameters</c>, <c>ON CONFLICT</c>, <c>DELETE … RETURNING</c>)
/// run there as they are; the schema needs <c>uuid</c>/<c>bytea</c>/<c>bigint generated always as identity</c>, and a
/// take needs <c>FOR UPDATE SKIP LOCKED</c> (or SERIALIZABLE) in place of this single writer.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
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
    private readonly string _unpooledConnectionString;
    /// <summary>Most writes committed together (each in its own savepoint).</summary>
    private const int MaxWritesPerCommit = 256;

    /// <summary>Most idle connections kept for the hot reads (when more are busy at once, the extra ones are closed after use).</summary>
    private const int MaxKeptReaders = 8;

    private readonly Queue<IPendingWrite> _queue = new();
    private bool _writing;

    /// <summary>How often an idle writer thread checks whether the database was disposed (then it ends).</summary>
    private static readonly TimeSpan WriterIdleCheck = TimeSpan.FromSeconds(1);

    /// <summary>Wakes <see cref="WriterLoop"/>: released once by each write that finds the writer idle.</summary>
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>The thread running <see cref="WriterLoop"/>; null until the first write and after it ended (guarded by <see cref="_queue"/>).</summary>
    private Thread? _writerThread;

    /// <summary>The writer's connection, kept between batches (used by the drain task only); null until the first
    /// batch, after a failed one, and after <see cref="Dispose"/>.</summary>
    private SqliteKeptConnection? _writer;
    private bool _disposed;

    /// <summary>Idle kept connections for <see cref="ReadPreparedAsync"/> (at most <see cref="MaxKeptReaders"/>).</summary>
    private readonly ConcurrentStack<SqliteKeptConnection> _readers = new();

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
        _unpooledConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        CreateSchemaOrOpenReadOnly();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens a connection with the per-connection settings applied.</summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => OpenAsync(pooled: true, cancellationToken);

    /// <summary>
    /// Opens a connection with the per-connection settings applied; <paramref name="pooled"/> false for the kept
    /// connections (<see cref="SqliteKeptConnection"/>), so that dropping one really closes it (a pooled one would go
    /// back to the pool and could be handed out again, e.g. still read-only).
    /// </summary>
    public async Task<SqliteConnection> OpenAsync(bool pooled, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(pooled ? _connectionString : _unpooledConnectionString);
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
    /// Runs <paramref name="work"/> on a borrowed kept connection whose prepared statements
    /// (<see cref="SqliteKeptConnection.Command"/>, no transaction) stay for the next borrower: for the reads every
    /// request makes. The work must dispose every data reader it opens, so no read transaction stays open.
    /// </summary>
    public async Task<T> ReadPreparedAsync<T>(Func<SqliteKeptConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        cancellationToken.ThrowIfCancellationRequested();
        SqliteKeptConnection reader = _readers.TryPop(out SqliteKeptConnection? idle) ? idle : await SqliteKeptConnection.OpenAsync(this).ConfigureAwait(false);
        bool keep = false;
        try
        {
            T result = await work(reader).ConfigureAwait(false);
            keep = true;
            return result;
        }
        finally
        {
            // Not kept while writes find the file read-only: a connection opened then may stay read-only.
            if (keep && !_readOnly && _readers.Count < MaxKeptReaders)
            {
                _readers.Push(reader);
                if (Volatile.Read(ref _disposed))
                {
                    DropReaders();
                }
            }
            else
            {
                reader.Dispose();
            }
        }
    }

    private void DropReaders()
    {
        while (_readers.TryPop(out SqliteKeptConnection? reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction (one writer at a time); its changes are kept when it
    /// returns <c>Commit = true</c>, undone when it returns false or throws.
    /// Group commit: writes that queue up while a commit is under way run one after another inside the next single
    /// transaction, each in its own savepoint (so undoing one leaves the others), and share its one WAL sync. Every
    /// caller is answered only after that commit, so "stored" still means durable.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken) =>
        WriteAsync(work, committed: null, cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync{T}(Func{SqliteConnection, SqliteTransaction, Task{ValueTuple{T, bool}}}, CancellationToken)"/>,
    /// and if the write was kept, <paramref name="committed"/> runs with its result right after the commit that made
    /// it durable, before the caller is answered. Callbacks run one at a time in commit order (so what they hand on
    /// keeps the order of the rows); they must be quick.
    /// </summary>
    public Task<T> WriteAsync<T>(
        Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, Action<T>? committed, CancellationToken cancellationToken) =>
        WriteAsync(work, committed, WriteUndo.Savepoint, cancellationToken);

    /// <summary>
    /// <see cref="WriteAsync{T}(Func{SqliteConnection, SqliteTransaction, Task{ValueTuple{T, bool}}}, Action{T}, CancellationToken)"/>
    /// with a choice of how the write is undone. <see cref="WriteUndo.Savepoint"/> (the default) wraps it in its own
    /// savepoint. <see cref="WriteUndo.ByTheWork"/> runs it without one, two statements fewer: the work must change
    /// nothing when it returns <c>Commit = false</c> (it checks before it writes, or takes a savepoint of its own), and
    /// if it throws, its changes cannot be told from the other writes' ones, so the whole batch is rolled back and
    /// every write of it fails (nothing of the batch is committed). Meant for writes that fail only when the
    /// transaction does (I/O, disk full), such as inserts that ignore conflicts and deletes by key; it should not be
    /// cancelled part way (pass no token to its statements).
    /// </summary>
    public Task<T> WriteAsync<T>(
        Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, Action<T>? committed, WriteUndo undo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        ForgetReadOnlyConnections();
        var pending = new PendingWrite<T>(work, committed, undo == WriteUndo.Savepoint, cancellationToken);
        bool lead;
        bool onPool = false;
        lock (_queue)
        {
            _queue.Enqueue(pending);
            lead = !_writing;
            _writing = true;
            if (lead && _writerThread is null)
            {
                if (_disposed)
                {
                    // Disposed and the writer thread gone: drain once on the pool (the batch fails, disposed).
                    onPool = true;
                }
                else
                {
                    _writerThread = new Thread(WriterLoop) { IsBackground = true, Name = "SQLite writer" };
                    _writerThread.Start();
                }
            }
        }

        if (onPool)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }
        else if (lead)
        {
            _wake.Release();
        }

        return TrackReadOnlyAsync(pending.Task);
    }

    /// <summary>
    /// The writer's own thread: drains the queue whenever a write arrives at an idle writer. A thread of its own,
    /// not a thread-pool work item, so that under load a commit does not first wait behind the queued requests it
    /// is holding up (every send waits for the writer). Its work completes synchronously (SQLite), so the drain
    /// runs on this thread from start to end. Ends once the database is disposed and idle.
    /// </summary>
    private void WriterLoop()
    {
        while (true)
        {
            if (!_wake.Wait(WriterIdleCheck))
            {
                lock (_queue)
                {
                    if (_disposed && !_writing)
                    {
                        _writerThread = null;
                        return;
                    }
                }

                continue;
            }

            // DrainAsync never throws; should some work truly yield, this thread waits for it.
            DrainAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>Commits batches until the queue is empty; never throws (failures go to the batch's callers).</summary>
    private async Task DrainAsync()
    {
        var batch = new List<IPendingWrite>(MaxWritesPerCommit);
        while (true)
        {
            batch.Clear();
            lock (_queue)
            {
                while (batch.Count < MaxWritesPerCommit && _queue.TryDequeue(out IPendingWrite? next))
                {
                    batch.Add(next);
                }

                if (batch.Count == 0)
                {
                    _writing = false;
                    if (_disposed)
                    {
                        DropWriter();
                        ClearPool();
                    }

                    return;
                }
            }

            await CommitBatchAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitBatchAsync(List<IPendingWrite> batch)
    {
        SqliteTransaction? transaction = null;
        bool failed = false;
        long started = Stopwatch.GetTimestamp();
        if (WriterMetrics.Enabled)
        {
            foreach (IPendingWrite write in batch)
            {
                WriterMetrics.BatchStarted(write.QueuedAt, started);
            }
        }

        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            if (_readOnly)
            {
                // A connection opened while the file was read-only stays read-only (SqliteDatabase.ReadOnly.cs):
                // while writes find it so, each batch starts on a fresh connection, so the first write after the
                // storage is writable again succeeds.
                DropWriter();
            }

            SqliteKeptConnection writer = _writer ?? await OpenWriterAsync().ConfigureAwait(false);
            SqliteConnection connection = writer.Connection;
            transaction = (SqliteTransaction)await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (IPendingWrite write in batch)
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Fail(new OperationCanceledException(write.CancellationToken));
                    continue;
                }

                if (!write.Savepoint)
                {
                    // No savepoint: if the work throws, the batch fails whole (below); returning false, it changed nothing.
                    await write.RunAsync(connection, transaction).ConfigureAwait(false);
                    continue;
                }

                await writer.SaveAsync(transaction).ConfigureAwait(false);
                bool keep;
                try
                {
                    keep = await write.RunAsync(connection, transaction).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Undo this write only; if the transaction itself is gone (disk full, I/O error), the rollback
                    // throws and the whole batch fails below.
                    await writer.RollbackToAsync(transaction).ConfigureAwait(false);
                    await writer.ReleaseAsync(transaction).ConfigureAwait(false);
                    write.Fail(e);
                    continue;
                }

                if (!keep)
                {
                    await writer.RollbackToAsync(transaction).ConfigureAwait(false);
                }

                await writer.ReleaseAsync(transaction).ConfigureAwait(false);
            }

            // Not cancellable: once the work is done, the commit is the answer.
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            WriterMetrics.BatchCommitted(started, batch.Count);
        }
        catch (Exception e)
        {
            if (transaction is not null)
            {
                try
                {
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The transaction is already gone; nothing of it was committed.
                }
            }

            foreach (IPendingWrite write in batch)
            {
                write.Fail(e);
            }

            failed = true;
            return;
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            if (failed)
            {
                // Start the next batch on a fresh connection rather than one that may be in a bad state.
                DropWriter();
            }
        }

        foreach (IPendingWrite write in batch)
        {
            write.Complete();
        }
    }

    private async Task<SqliteKeptConnection> OpenWriterAsync()
    {
        _writer = await SqliteKeptConnection.OpenAsync(this).ConfigureAwait(false);
        return _writer;
    }

    private void DropWriter()
    {
        _writer?.Dispose();
        _writer = null;
    }

    /// <summary>
    /// The kept command for <paramref name="sql"/> on the writer's connection, for the work of a
    /// <see cref="WriteAsync{T}(Func{SqliteConnection, SqliteTransaction, Task{ValueTuple{T, bool}}}, CancellationToken)"/>
    /// that runs a statement many times (prepared once for the life of the connection). Set every parameter before
    /// each run; do not dispose it. <paramref name="connection"/> must be the one the work was given.
    /// </summary>
    public SqliteCommand Prepared(SqliteConnection connection, SqliteTransaction transaction, string sql, params ReadOnlySpan<string> parameterNames)
    {
        SqliteKeptConnection writer = _writer is { } w && ReferenceEquals(w.Connection, connection)
            ? w
            : throw new InvalidOperationException("Prepared commands belong to the writer's connection: use them inside WriteAsync.");
        return writer.Command(transaction, sql, parameterNames);
    }

    private interface IPendingWrite
    {
        CancellationToken CancellationToken { get; }

        /// <summary>Whether the write runs in its own savepoint (see <see cref="WriteUndo"/>).</summary>
        bool Savepoint { get; }

        /// <summary>When it was queued (<see cref="Stopwatch.GetTimestamp"/>), for <see cref="WriterMetrics"/>.</summary>
        long QueuedAt { get; }

        /// <summary>Runs the work; returns whether its changes are kept.</summary>
        Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction transaction);

        /// <summary>Answers the caller with the result of <see cref="RunAsync"/> (after the commit).</summary>
        void Complete();

        void Fail(Exception error);
    }

    private sealed class PendingWrite<T>(
        Func<SqliteConnection, SqliteTransaction, Task<(T Result, bool Commit)>> work, Action<T>? committed, bool savepoint, CancellationToken cancellationToken)
        : IPendingWrite
    {
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private bool _kept;

        public Task<T> Task => _answer.Task;

        public CancellationToken CancellationToken => cancellationToken;

        public bool Savepoint => savepoint;

        public long QueuedAt { get; } = Stopwatch.GetTimestamp();

        public async Task<bool> RunAsync(SqliteConnection connection, SqliteTransaction transaction)
        {
            (T result, bool commit) = await work(connection, transaction).ConfigureAwait(false);
            _result = result;
            _kept = commit;
            return commit;
        }

        public void Complete()
        {
            if (_kept && committed is not null)
            {
                try
                {
                    committed(_result);
                }
                catch (Exception e)
                {
                    // A bug in the callback: the write is durable, but its caller hears of the failure.
                    _answer.TrySetException(e);
                    return;
                }
            }

            _answer.TrySetResult(_result);
        }

        public void Fail(Exception error)
        {
            if (error is OperationCanceledException canceled && canceled.CancellationToken == cancellationToken)
            {
                _answer.TrySetCanceled(cancellationToken);
            }
            else
            {
                _answer.TrySetException(error);
            }
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
        lock (_queue)
        {
            // Set under the queue's lock: a drain that is running finishes its batch, then sees it and closes.
            Volatile.Write(ref _disposed, true);
            if (!_writing)
            {
                DropWriter();
            }
        }

        DropReaders();

        ClearPool();
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
