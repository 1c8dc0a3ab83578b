using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// Read-only storage (the volume mounted read-only, the files made immutable): SQLite then opens the file read-only
/// and every write fails with SQLITE_READONLY, which the relay answers 503 (see <see cref="StorageErrors"/>).
/// A connection opened while the file was read-only stays read-only even after the storage is writable again, and
/// the pool keeps it; so once a write has found the file read-only, every later write first drops the pooled
/// connections, and the first one that succeeds ends that (recovery without a restart).
/// </summary>
internal sealed partial class SqliteDatabase
{
    /// <summary>SQLITE_CANTOPEN: on read-only storage, a WAL database whose <c>-shm</c>/<c>-wal</c> files are gone.</summary>
    private const int SqliteCantOpen = 14;

    /// <summary>Whether the last write found the file read-only (until a write succeeds again).</summary>
    private volatile bool _readOnly;

    /// <summary>
    /// Proves that a write can be made: changes the schema version to itself and undoes it. Throws the
    /// SQLITE_READONLY (or disk) error when it cannot.
    /// </summary>
    public Task ProbeWritableAsync(CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand touch = Command(connection, transaction, $"PRAGMA user_version = {SchemaVersion};");
            await touch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (true, false);
        }, cancellationToken);

    /// <summary>
    /// Creates or migrates the schema; on read-only storage, starts read-only when the schema is already current
    /// (what is stored can still be served), and refuses with a clear message otherwise.
    /// </summary>
    private void CreateSchemaOrOpenReadOnly()
    {
        try
        {
            CreateSchema();
        }
        catch (SqliteException e) when (StorageErrors.IsReadOnly(e))
        {
            long version = ReadSchemaVersion();
            if (version != SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"{Path} is read-only and has schema version {version}; this relay needs version {SchemaVersion} and can only create or migrate it on writable storage.", e);
            }

            _readOnly = true;
            ClearPool();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteCantOpen)
        {
            throw new InvalidOperationException(
                $"Cannot open {Path} ({e.Message.TrimEnd('.')}). If its folder is read-only: SQLite reads a WAL database there only while its -wal and -shm files exist; make the folder writable.", e);
        }
    }

    private long ReadSchemaVersion()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using SqliteCommand read = Command(connection, null, "PRAGMA user_version;");
        return (long)read.ExecuteScalar()!;
    }

    /// <summary>Before a write while the file is known read-only: start from fresh connections.</summary>
    private void ForgetReadOnlyConnections()
    {
        if (_readOnly)
        {
            ClearPool();
        }
    }

    /// <summary>Closes the idle pooled connections; the ones in use are closed when they are returned.</summary>
    private void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>Notes whether <paramref name="write"/> found the file read-only; passes its outcome on unchanged.</summary>
    private async Task<T> TrackReadOnlyAsync<T>(Task<T> write)
    {
        try
        {
            T result = await write.ConfigureAwait(false);
            _readOnly = false;
            return result;
        }
        catch (SqliteException e) when (StorageErrors.IsReadOnly(e))
        {
            _readOnly = true;
            ClearPool();
            throw;
        }
    }
}
