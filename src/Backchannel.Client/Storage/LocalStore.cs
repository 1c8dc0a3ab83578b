using System.Security.Cryptography;
using Backchannel.Client.Storage.AtRest;
using Microsoft.Data.Sqlite;

namespace Backchannel.Client.Storage;

/// <summary>
/// The device's durable state in one SQLite file under the home folder: identity, prekeys, sessions, known
/// identities, contacts, invites, message history, the outbox, the ids of relay messages already stored, sender keys
/// and channels (members as vouched for, which member devices have our current sender key, which messages belong to a channel).
/// Owns the connection and the current transaction; every command joins that transaction, so the protocol
/// store's writes and the plaintext commit or roll back together. Protocol records are kept as opaque bytes.
/// Not thread-safe: the engine serialises access.
/// At rest: keys, protocol records, message text and topics, access keys and every <c>meta</c> value are sealed
/// (<see cref="ColumnSealer"/>) under the data key in <c>store.key</c> (<see cref="StoreKeyFile"/>), itself optionally
/// wrapped under a passphrase. Names, account ids, public keys and timestamps stay readable: lookups and uniqueness
/// need them. A store written before sealing existed is sealed in place on first open, then vacuumed.
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

    /// <summary>A sealed meta value that proves the key file belongs to this database.</summary>
    private const string StoreCheckKey = "store_check";

    /// <summary>The sealed columns other than <c>meta.value</c> (whose place also names the meta key).</summary>
    private static readonly (string Table, string Column)[] SealedColumns =
    [
        ("prekeys", "record"), ("signed_prekeys", "record"), ("kyber_prekeys", "record"), ("sessions", "record"),
        ("sender_keys", "record"), ("contact_access", "access_key"), ("messages", "text"), ("messages", "topic"),
    ];

    private readonly SqliteConnection _db;
    private SqliteTransaction? _tx;
    private byte[] _dataKey = [];
    private ColumnSealer? _sealer;

    private LocalStore(SqliteConnection db)
    {
        _db = db;
    }

    public string Path { get; private init; } = "";

    /// <summary>
    /// Opens (creating if needed) the store under <paramref name="home"/>. <paramref name="passphrase"/> is asked for
    /// the passphrase that unlocks a protected store, or, when the store is new, for the one to protect it with (null:
    /// none); it is not called otherwise.
    /// </summary>
    public static LocalStore Open(string home, Func<PassphrasePurpose, string?>? passphrase = null)
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
        store.Execute("PRAGMA secure_delete=ON;"); // freed pages (old records, deleted keys) are zeroed, not left behind
        store.Execute(Schema);
        try
        {
            store.Unlock(home, passphrase ?? (_ => null));
        }
        catch
        {
            store.Dispose();
            throw;
        }
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

    /// <summary>Whether the data key is wrapped under a passphrase.</summary>
    public bool IsPassphraseProtected => StoreKeyFile.IsPassphraseProtected(System.IO.Path.GetDirectoryName(Path)!);

    /// <summary>Wraps the data key under <paramref name="passphrase"/> from now on (null: keep it unwrapped).</summary>
    public void SetPassphrase(string? passphrase) => StoreKeyFile.Write(System.IO.Path.GetDirectoryName(Path)!, _dataKey, passphrase);

    /// <summary>Seals a value for its place ("table.column"); null stays null.</summary>
    public byte[]? Seal(string place, byte[]? value) => value is null ? null : Sealer.Seal(place, value);

    public byte[]? SealText(string place, string? text) => text is null ? null : Sealer.SealText(place, text);

    /// <summary>Opens a sealed value read from <paramref name="place"/>; null (or DBNull) stays null.</summary>
    public byte[]? Unseal(string place, object? value) => value switch
    {
        null or DBNull => null,
        byte[] bytes => Sealer.Open(place, bytes),
        _ => throw new BackchannelException(ErrorKinds.StoreUnreadable, $"A stored value ({place}) is not in the sealed format."),
    };

    public string? UnsealText(string place, object? value) => value switch
    {
        null or DBNull => null,
        byte[] bytes => Sealer.OpenText(place, bytes),
        _ => throw new BackchannelException(ErrorKinds.StoreUnreadable, $"A stored value ({place}) is not in the sealed format."),
    };

    private ColumnSealer Sealer => _sealer ?? throw new ObjectDisposedException(nameof(LocalStore));

    private void Unlock(string home, Func<PassphrasePurpose, string?> passphrase)
    {
        if (IsSealed())
        {
            UseKey(ReadKeyFile(home, passphrase));
            return;
        }
        // Not sealed yet (a new store, or one written before sealing): seal it under the write lock, so that two
        // processes opening it at once do not both make a key (the second waits, then finds it sealed).
        bool hadData = false;
        Transaction(() =>
        {
            if (IsSealed())
            {
                UseKey(ReadKeyFile(home, passphrase));
                return;
            }
            // A key file without the check row is what a crash between writing it and committing leaves: reuse it.
            UseKey(StoreKeyFile.Exists(home)
                ? StoreKeyFile.Read(home, () => passphrase(PassphrasePurpose.Unlock))
                : StoreKeyFile.Create(home, passphrase(PassphrasePurpose.New)));
            hadData = Scalar("SELECT 1 FROM meta LIMIT 1") is not null;
            SealInPlace();
        });
        if (hadData)
        {
            // The plaintext pages of the old values must not linger in the file or the WAL. secure_delete already
            // zeroed the old cells; this also rewrites the file and empties the WAL. Best effort: another process
            // reading at this moment makes it busy, and the sealed store is complete without it.
            try
            {
                Execute("VACUUM;");
                Execute("PRAGMA wal_checkpoint(TRUNCATE);");
            }
            catch (SqliteException)
            {
            }
        }
    }

    private bool IsSealed() => Scalar("SELECT 1 FROM meta WHERE key = $k", ("$k", StoreCheckKey)) is not null;

    private static byte[] ReadKeyFile(string home, Func<PassphrasePurpose, string?> passphrase) =>
        StoreKeyFile.Exists(home)
            ? StoreKeyFile.Read(home, () => passphrase(PassphrasePurpose.Unlock))
            : throw new BackchannelException(ErrorKinds.StoreUnreadable,
                $"The store's key file {StoreKeyFile.PathIn(home)} is missing: without it the store cannot be opened.");

    /// <summary>Takes the data key; for a sealed store, first proves it belongs to this database.</summary>
    private void UseKey(byte[] dataKey)
    {
        _dataKey = dataKey;
        _sealer = new ColumnSealer(_dataKey);
        if (IsSealed())
        {
            _ = GetMeta(StoreCheckKey); // StoreUnreadable when the key file is another store's
        }
    }

    /// <summary>
    /// Seals every value of a store written before sealing existed (or marks a new one) inside the caller's
    /// transaction; a crash before the commit leaves it as it was, and the next open does it again.
    /// </summary>
    private void SealInPlace()
    {
        foreach ((string key, byte[] value) in Query("SELECT key, value FROM meta", r => (r.GetString(0), (byte[])r.GetValue(1))))
        {
            Execute("UPDATE meta SET value = $v WHERE key = $k", ("$v", Sealer.Seal(MetaPlace(key), value)), ("$k", key));
            CryptographicOperations.ZeroMemory(value);
        }
        foreach ((string table, string column) in SealedColumns)
        {
            string place = $"{table}.{column}";
            var rows = Query($"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL",
                r => (r.GetInt64(0), r.GetValue(1)));
            foreach ((long rowid, object value) in rows)
            {
                byte[] sealedValue = value is string text ? Sealer.SealText(place, text) : Sealer.Seal(place, (byte[])value);
                Execute($"UPDATE {table} SET {column} = $v WHERE rowid = $r", ("$v", sealedValue), ("$r", rowid));
                if (value is byte[] plain)
                {
                    CryptographicOperations.ZeroMemory(plain);
                }
            }
        }
        SetMeta(StoreCheckKey, RandomNumberGenerator.GetBytes(16));
    }

    private static string MetaPlace(string key) => $"meta.{key}";

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

    /// <summary>Maps rows in order, skipping those mapped to null, until <paramref name="limit"/> are kept.</summary>
    public List<T> QueryFirst<T>(int limit, string sql, Func<SqliteDataReader, T?> map, params (string Name, object? Value)[] parameters)
        where T : class
    {
        using SqliteCommand cmd = Command(sql, parameters);
        using SqliteDataReader reader = cmd.ExecuteReader();
        var list = new List<T>();
        while (list.Count < limit && reader.Read())
        {
            if (map(reader) is { } item)
            {
                list.Add(item);
            }
        }
        return list;
    }

    public byte[]? GetMeta(string key) => Unseal(MetaPlace(key), Scalar("SELECT value FROM meta WHERE key = $k", ("$k", key)));

    public string? GetMetaString(string key) =>
        GetMeta(key) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    public long? GetMetaLong(string key) => GetMetaString(key) is { } s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    public void SetMeta(string key, byte[] value) =>
        Execute("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            ("$k", key), ("$v", Sealer.Seal(MetaPlace(key), value)));

    public void DeleteMeta(string key) => Execute("DELETE FROM meta WHERE key = $k", ("$k", key));

    public void SetMeta(string key, string value) => SetMeta(key, System.Text.Encoding.UTF8.GetBytes(value));

    public void SetMeta(string key, long value) => SetMeta(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        _tx?.Dispose();
        _db.Dispose();
        _sealer?.Dispose();
        _sealer = null;
        CryptographicOperations.ZeroMemory(_dataKey);
    }
}
