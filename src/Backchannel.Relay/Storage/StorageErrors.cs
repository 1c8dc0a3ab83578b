using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage;

/// <summary>Which storage failures mean "read-only", so the relay can say so instead of a generic 503.</summary>
internal static class StorageErrors
{
    /// <summary>SQLITE_READONLY; its extended codes (…_RECOVERY, …_CANTINIT, …_DBMOVED) share the low byte.</summary>
    private const int SqliteReadOnly = 8;

    public static bool IsReadOnly(Exception exception) =>
        exception is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) == SqliteReadOnly;
}
