namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>How one write of a group commit is undone when it returns <c>Commit = false</c> or throws (<see cref="SqliteDatabase.WriteAsync{T}(Func{Microsoft.Data.Sqlite.SqliteConnection, Microsoft.Data.Sqlite.SqliteTransaction, Task{ValueTuple{T, bool}}}, Action{T}, WriteUndo, CancellationToken)"/>).</summary>
internal enum WriteUndo
{
    /// <summary>In its own savepoint: rolled back alone, the other writes of the batch are kept.</summary>
    Savepoint,

    /// <summary>
    /// No savepoint (two statements fewer): the work changes nothing when it returns false; when it throws, the whole
    /// batch is rolled back and fails.
    /// </summary>
    ByTheWork,
}
