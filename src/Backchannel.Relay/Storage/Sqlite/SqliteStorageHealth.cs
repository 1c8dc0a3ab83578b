using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// The SQLite file is healthy when a read of it succeeds and a write could be made (a change undone before the
/// commit): read-only storage still answers reads but cannot store a message.
/// </summary>
internal sealed class SqliteStorageHealth(SqliteDatabase database) : IStorageHealth
{
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await database.ReadAsync(async connection =>
        {
            using SqliteCommand probe = SqliteDatabase.Command(connection, null, "SELECT COUNT(*) FROM accounts WHERE 1 = 0;");
            return await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        await database.ProbeWritableAsync(cancellationToken).ConfigureAwait(false);
    }
}
