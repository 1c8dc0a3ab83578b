using Microsoft.Data.Sqlite;

namespace Backchannel.Client.Storage;

/// <summary>
/// The device's durable state in one SQLite file under the home folder: identity, prekeys, sessions, known
/// identities, contacts, invites, message history, the outbox, the ids of relay messages already stored, sender keys
/// and channels (members as vouched for, which member devices have our current sender key, which messages belong to a channel).
/// Owns the connection and the current transaction; every command joins that transaction, so the protocol
/// store's writes and the plaintext commit or roll back together. Protocol records are kept as opaque bytes.
/// Not thread-safe: the engine serialises access.
/// </summary>
internal sealed class LocalStore : IDisposable
{
    public const string FileName = "backchannel.db";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS prekeys(id INTEGER PRIMARY KEY, record BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS signed_prekeys(id INTEGER PRIMARY KEY, record BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS kyber_prekeys(id INTEGER PRIMARY KEY, record BLOB NOT NULL, last_resort INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS kyber_used(id INTEGER NOT NULL, signed_id INTEGER NOT NULL, base_key BLOB NOT NULL,
            PRIMARY KEY(id, signed_id, base_key));
        CREATE TABLE IF NOT EXISTS sessions(name TEXT NOT NULL, device INTEGER NOT NULL, record BLOB NOT NULL,
            PRIMARY KEY(name, device));
        CREATE TABLE IF NOT EXISTS identities(name TEXT NOT NULL, device INTEGER NOT NULL, identity_key BLOB NOT NULL,
            PRIMARY KEY(name, device));
        CREATE TABLE IF NOT EXISTS contacts(account TEXT PRIMARY KEY, alias TEXT NOT NULL UNIQUE COLLATE NOCASE,
            identity_key BLOB NOT NULL, verified INTEGER NOT NULL DEFAULT 0, changed_key BLOB, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS invites(secret_hash BLOB PRIMARY KEY, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS messages(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            account TEXT NOT NULL, direction TEXT NOT NULL, topic TEXT, text TEXT NOT NULL, sent_at INTEGER NOT NULL,
            received_at INTEGER NOT NULL, status TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS messages_by_contact ON messages(account, topic);
        CREATE TABLE IF NOT EXISTS outbox(id TEXT NOT NULL, device INTEGER NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT,
            to_account TEXT NOT NULL, type INTEGER NOT NULL, content BLOB NOT NULL, created_at INTEGER NOT NULL,
            UNIQUE(id, device));
        CREATE TABLE IF NOT EXISTS received(relay_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sender_keys(name TEXT NOT NULL, device INTEGER NOT NULL, distribution TEXT NOT NULL,
            record BLOB NOT NULL, PRIMARY KEY(name, device, distribution));
        CREATE TABLE IF NOT EXISTS channels(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS channel_members(channel TEXT NOT NULL, account TEXT NOT NULL, name TEXT NOT NULL,
            identity_key BLOB NOT NULL, PRIMARY KEY(channel, account));
        CREATE TABLE IF NOT EXISTS channel_key_devices(channel TEXT NOT NULL, account TEXT NOT NULL, device INTEGER NOT NULL,
            PRIMARY KEY(channel, account, device));
        CREATE TABLE IF NOT EXISTS channel_messages(id TEXT PRIMARY KEY, channel TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS contact_via_channel(account TEXT PRIMARY KEY, channel TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS contact_access(account TEXT PRIMARY KEY, access_key BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox_links(outbox_id TEXT PRIMARY KEY, message_id TEXT NOT NULL);
        """;

    private readonly SqliteConnection _db;
    private SqliteTransaction? _tx;

    private LocalStore(SqliteConnection db)
    {
        _db = db;
    }

    public string Path { get; private init; } = "";

    public static LocalStore Open(string home)
    {
        if (!Directory.Exists(home))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(home);
            }
            else
            {
                // Only the owner may look inside: the store holds private keys and history.
                Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        string path = System.IO.Path.Combine(home, FileName);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var db = new SqliteConnection(builder.ToString());
        db.Open();
        var store = new LocalStore(db) { Path = path };
        store.Execute("PRAGMA journal_mode=WAL;");
        store.Execute("PRAGMA synchronous=FULL;");
        store.Execute("PRAGMA busy_timeout=30000;");
        store.Execute(Schema);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            catch (IOException)
            {
                // Best effort: the folder's own permissions still apply.
            }
        }
        return store;
    }

    public bool InTransaction => _tx is not null;

    /// <summary>Runs <paramref name="work"/> in one write transaction: all of it commits, or none of it.</summary>
    public T Transaction<T>(Func<T> work)
    {
        if (_tx is not null)
        {
            return work();
        }
        _tx = _db.BeginTransaction(deferred: false);
        try
        {
            T result = work();
            _tx.Commit();
            return result;
        }
        catch
        {
            _tx.Rollback();
            throw;
        }
        finally
        {
            _tx.Dispose();
            _tx = null;
        }
    }

    public void Transaction(Action work) => Transaction(() =>
    {
        work();
        return 0;
    });

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction that commits only when it returns true; on false or an
    /// exception everything it wrote is rolled back.
    /// </summary>
    public bool TryTransaction(Func<bool> work)
    {
        if (_tx is not null)
        {
            throw new InvalidOperationException("Nested conditional transaction.");
        }
        _tx = _db.BeginTransaction(deferred: false);
        try
        {
            bool keep = work();
            if (keep)
            {
                _tx.Commit();
            }
            else
            {
                _tx.Rollback();
            }
            return keep;
        }
        catch
        {
            _tx.Rollback();
            throw;
        }
        finally
        {
            _tx.Dispose();
            _tx = null;
        }
    }

    public SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _tx;
        foreach ((string name, object? value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = Command(sql, parameters);
        object? value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public byte[]? Blob(string sql, params (string Name, object? Value)[] parameters) => Scalar(sql, parameters) as byte[];

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand cmd = Command(sql, parameters);
        using SqliteDataReader reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(map(reader));
        }
        return list;
    }

    public byte[]? GetMeta(string key) => Blob("SELECT value FROM meta WHERE key = $k", ("$k", key));

    public string? GetMetaString(string key) =>
        GetMeta(key) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    public long? GetMetaLong(string key) => GetMetaString(key) is { } s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    public void SetMeta(string key, byte[] value) =>
        Execute("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            ("$k", key), ("$v", value));

    public void SetMeta(string key, string value) => SetMeta(key, System.Text.Encoding.UTF8.GetBytes(value));

    public void SetMeta(string key, long value) => SetMeta(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        _tx?.Dispose();
        _db.Dispose();
    }
}
