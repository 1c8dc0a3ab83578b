using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// A connection of <see cref="SqliteDatabase"/> kept open from use to use with its statements prepared once: a
/// pooled connection would run the per-connection <c>PRAGMA</c>s on every open, and Microsoft.Data.Sqlite finalizes
/// a command's statements when its connection closes, so nothing could be reused. The writer keeps one (its batches
/// run one at a time); readers borrow one from a small stack (<see cref="SqliteDatabase.ReadPreparedAsync"/>). Used
/// by one caller at a time, so it needs no locking. Dropped after a failure, so a connection in a bad state is not
/// kept.
/// </summary>
internal sealed class SqliteKeptConnection : IDisposable
{
    /// <summary>Statements kept at most: the writes use a handful of fixed SQL texts.</summary>
    private const int MaxCachedCommands = 64;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private SqliteKeptConnection(SqliteConnection connection)
    {
        Connection = connection;
    }

    public SqliteConnection Connection { get; }

    public static async Task<SqliteKeptConnection> OpenAsync(SqliteDatabase database)
    {
        SqliteConnection connection = await database.OpenAsync(pooled: false, CancellationToken.None).ConfigureAwait(false);
        try
        {
            // The writer's savepoints keep their undo records (the statement journal) in memory, not a temp file;
            // nothing durable lives there (the WAL is the journal that survives a crash).
            using SqliteCommand memory = connection.CreateCommand();
            memory.CommandText = "PRAGMA temp_store=MEMORY;";
            await memory.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SqliteKeptConnection(connection);
    }

    /// <summary>
    /// The command for <paramref name="sql"/> on this connection, prepared on first use and kept, with
    /// <paramref name="parameterNames"/> created then (set their values before each run). Not to be disposed.
    /// </summary>
    public SqliteCommand Command(SqliteTransaction? transaction, string sql, params ReadOnlySpan<string> parameterNames)
    {
        if (!_commands.TryGetValue(sql, out SqliteCommand? command))
        {
            command = Create(sql);
            foreach (string name in parameterNames)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
            }

            if (_commands.Count < MaxCachedCommands)
            {
                _commands[sql] = command;
            }
        }

        command.Transaction = transaction;
        return command;
    }

    /// <summary>Starts the savepoint of one write inside the batch's transaction.</summary>
    public Task SaveAsync(SqliteTransaction transaction) => Command(transaction, "SAVEPOINT w;").ExecuteNonQueryAsync(CancellationToken.None);

    /// <summary>Keeps the write: ends its savepoint.</summary>
    public Task ReleaseAsync(SqliteTransaction transaction) => Command(transaction, "RELEASE w;").ExecuteNonQueryAsync(CancellationToken.None);

    /// <summary>Undoes the write (its savepoint stays open until released).</summary>
    public Task RollbackToAsync(SqliteTransaction transaction) => Command(transaction, "ROLLBACK TO w;").ExecuteNonQueryAsync(CancellationToken.None);

    public void Dispose()
    {
        foreach (SqliteCommand command in _commands.Values)
        {
            command.Dispose();
        }

        Connection.Dispose();
    }

    private SqliteCommand Create(string sql)
    {
        SqliteCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
