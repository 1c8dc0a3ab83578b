using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>The SQLite file answers when a read of it succeeds.</summary>
internal sealed class SqliteStorageHealth(SqliteDatabase database) : IStorageHealth
{
    public Task CheckAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            using SqliteCommand probe = SqliteDatabase.Command(connection, null, "SELECT COUNT(*) FROM accounts WHERE 1 = 0;");
            return await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
}
