using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// The one connection the writer of <see cref="SqliteDatabase"/> commits on, kept open from batch to batch with its
/// statements prepared once: a pooled connection would run the per-connection <c>PRAGMA</c>s on every open, and
/// Microsoft.Data.Sqlite finalizes a command's statements when its connection closes, so nothing could be reused.
/// Used by the writer task only (one batch at a time), so it needs no locking. Dropped and opened anew after a
/// failed batch, so that a connection in a bad state is not kept.
/// </summary>
internal sealed class SqliteWriterConnection : IDisposable
{
    /// <summary>Statements kept at most: the writes use a handful of fixed SQL texts.</summary>
    private const int MaxCachedCommands = 64;

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly SqliteCommand _savepoint;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _rollbackTo;

    private SqliteWriterConnection(SqliteConnection connection)
    {
        Connection = connection;
        _savepoint = Create("SAVEPOINT w;");
        _release = Create("RELEASE w;");
        _rollbackTo = Create("ROLLBACK TO w;");
    }

    public SqliteConnection Connection { get; }

    public static async Task<SqliteWriterConnection> OpenAsync(SqliteDatabase database)
    {
        SqliteConnection connection = await database.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        return new SqliteWriterConnection(connection);
    }

    /// <summary>
    /// The command for <paramref name="sql"/> on this connection, prepared on first use and kept, with
    /// <paramref name="parameterNames"/> created then (set their values before each run). Not to be disposed.
    /// </summary>
    public SqliteCommand Command(SqliteTransaction transaction, string sql, ReadOnlySpan<string> parameterNames)
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
    public Task SaveAsync(SqliteTransaction transaction) => Run(_savepoint, transaction);

    /// <summary>Keeps the write: ends its savepoint.</summary>
    public Task ReleaseAsync(SqliteTransaction transaction) => Run(_release, transaction);

    /// <summary>Undoes the write (its savepoint stays open until released).</summary>
    public Task RollbackToAsync(SqliteTransaction transaction) => Run(_rollbackTo, transaction);

    public void Dispose()
    {
        foreach (SqliteCommand command in _commands.Values)
        {
            command.Dispose();
        }

        _savepoint.Dispose();
        _release.Dispose();
        _rollbackTo.Dispose();
        Connection.Dispose();
    }

    private SqliteCommand Create(string sql)
    {
        SqliteCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static Task Run(SqliteCommand command, SqliteTransaction transaction)
    {
        command.Transaction = transaction;
        return command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
