using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// <see cref="IMessageStore"/> on the relay's SQLite file (table <c>messages</c>, unique on recipient and id).
/// A batch is one write transaction committed with <c>synchronous=FULL</c> (see <see cref="SqliteDatabase"/>).
/// </summary>
internal sealed class SqliteMessageStore(SqliteDatabase database) : IMessageStore
{
    private const string InsertSql = """
        INSERT INTO messages (account, device, id, source, source_device, type, content, server_timestamp, sealed)
        VALUES (@a, @d, @id, @s, @sd, @t, @c, @ts, @sealed)
        ON CONFLICT (account, device, id) DO NOTHING;
        """;

    private const string CountSql = "SELECT COUNT(*) FROM messages WHERE account = @a AND device = @d;";

    /// <summary>Ids per ack statement, largest first; the last is 1, so any count is covered.</summary>
    private static readonly int[] AckChunkSizes = [64, 8, 1];

    private static readonly Dictionary<int, string> AckSql = AckChunkSizes.ToDictionary(n => n, n =>
        $"DELETE FROM messages WHERE account = @a AND device = @d AND id IN ({string.Join(", ", Enumerable.Range(0, n).Select(i => $"@i{i}"))});");

    private static readonly Dictionary<int, string[]> AckParameterNames = AckChunkSizes.ToDictionary(n => n, n =>
        (string[])["@a", "@d", .. Enumerable.Range(0, n).Select(i => $"@i{i}")]);

    public Task<StoreMessagesResult> StoreAsync(
        IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sequences = new long[messages.Count];
        Action<StoreMessagesResult>? committed = onDurable is null ? null : result =>
        {
            for (int i = 0; i < messages.Count; i++)
            {
                if (result.Stored[i])
                {
                    NewMessage m = messages[i];
                    onDurable(m.Recipient, new StoredMessage(m.Id, m.Source, m.Type, m.Content, m.ServerTimestamp, sequences[i]));
                }
            }
        };
        // New messages per recipient device: at most this many rows are added to its mailbox (fewer if some are retries).
        var adding = new Dictionary<DeviceAddress, int>();
        foreach (NewMessage m in messages)
        {
            adding[m.Recipient] = adding.GetValueOrDefault(m.Recipient) + 1;
        }

        // No savepoint of the group commit (WriteUndo.ByTheWork): the quota is checked before anything is inserted, so
        // a refused batch has changed nothing; only a batch that might pass a quota (its mailbox within the batch's
        // size of the bound) inserts inside a savepoint of its own and counts exactly afterwards, as retried ids
        // add no row. Statements get no cancellation token: stopping half way through would fail the whole commit.
        return database.WriteAsync(async (connection, transaction) =>
        {
            SqliteCommand count = database.Prepared(connection, transaction, CountSql, "@a", "@d");
            bool nearQuota = false;
            foreach ((DeviceAddress recipient, int added) in adding)
            {
                if (await PendingAsync(count, recipient).ConfigureAwait(false) + added > maxPendingPerDevice)
                {
                    nearQuota = true;
                    break;
                }
            }

            if (!nearQuota)
            {
                return (new StoreMessagesResult(await InsertAsync(connection, transaction).ConfigureAwait(false), null), true);
            }

            await database.Prepared(connection, transaction, "SAVEPOINT quota;").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            bool[] stored = await InsertAsync(connection, transaction).ConfigureAwait(false);
            // Only the mailboxes that got a row now (a batch of retries alone is answered as before).
            foreach (DeviceAddress recipient in messages.Where((m, i) => stored[i]).Select(m => m.Recipient).Distinct())
            {
                if (await PendingAsync(count, recipient).ConfigureAwait(false) > maxPendingPerDevice)
                {
                    await database.Prepared(connection, transaction, "ROLLBACK TO quota;").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    await database.Prepared(connection, transaction, "RELEASE quota;").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    return (StoreMessagesResult.MailboxFull(recipient), false);
                }
            }

            await database.Prepared(connection, transaction, "RELEASE quota;").ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return (new StoreMessagesResult(stored, null), true);
        }, committed, WriteUndo.ByTheWork, cancellationToken);

        async Task<bool[]> InsertAsync(SqliteConnection connection, SqliteTransaction transaction)
        {
            var stored = new bool[messages.Count];
            // Prepared once on the writer's connection, bound again for each message.
            SqliteCommand insert = database.Prepared(connection, transaction, InsertSql, "@a", "@d", "@id", "@s", "@sd", "@t", "@c", "@ts", "@sealed");
            SqliteParameterCollection p = insert.Parameters;
            for (int i = 0; i < messages.Count; i++)
            {
                NewMessage m = messages[i];
                p[0].Value = SqliteDatabase.Key(m.Recipient.Account);
                p[1].Value = m.Recipient.Device;
                p[2].Value = SqliteDatabase.Key(m.Id);
                p[3].Value = m.Source is { } source ? SqliteDatabase.Key(source.Account) : DBNull.Value;
                p[4].Value = m.Source is { } from ? from.Device : DBNull.Value;
                p[5].Value = m.Type;
                p[6].Value = m.Content;
                p[7].Value = m.ServerTimestamp;
                p[8].Value = m.Sealed ? 1 : 0;
                stored[i] = await insert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
                if (stored[i])
                {
                    // The row's seq (INTEGER PRIMARY KEY is the rowid), without another statement.
                    sequences[i] = SQLitePCL.raw.sqlite3_last_insert_rowid(connection.Handle);
                }
            }

            return stored;
        }
    }

    private static async Task<long> PendingAsync(SqliteCommand count, DeviceAddress recipient)
    {
        count.Parameters[0].Value = SqliteDatabase.Key(recipient.Account);
        count.Parameters[1].Value = recipient.Device;
        return (long)(await count.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
    }

    public Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return database.ReadAsync(async connection =>
        {
            using SqliteCommand select = SqliteDatabase.Command(connection, null,
                """
                SELECT seq, id, source, source_device, type, content, server_timestamp FROM messages
                WHERE account = @a AND device = @d AND seq > @after
                ORDER BY seq LIMIT @n;
                """,
                ("@a", SqliteDatabase.Key(recipient.Account)), ("@d", recipient.Device), ("@after", afterSequence), ("@n", limit + 1));
            using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var page = new List<StoredMessage>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                page.Add(new StoredMessage(
                    Guid.Parse(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : new DeviceAddress(Guid.Parse(reader.GetString(2)), reader.GetInt32(3)),
                    reader.GetInt32(4),
                    (byte[])reader[5],
                    reader.GetInt64(6),
                    reader.GetInt64(0)));
            }

            bool more = page.Count > limit;
            if (more)
            {
                page.RemoveAt(limit);
            }

            return new MessagePage(page, more);
        }, cancellationToken);
    }

    public Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        string[] keys = [.. ids.Distinct().Select(SqliteDatabase.Key)];
        // No savepoint (WriteUndo.ByTheWork): deleting by id is idempotent and always kept; only a failing
        // transaction makes it throw, and then the whole batch fails and its ids stay pending (they come again).
        return database.WriteAsync(async (connection, transaction) =>
        {
            // Many ids per statement (a few fixed sizes, so the statements are prepared once): fewer steps and
            // parameter bindings than one DELETE per id.
            int deleted = 0;
            int done = 0;
            foreach (int size in AckChunkSizes)
            {
                for (; keys.Length - done >= size; done += size)
                {
                    SqliteCommand delete = database.Prepared(connection, transaction, AckSql[size], AckParameterNames[size]);
                    delete.Parameters[0].Value = SqliteDatabase.Key(recipient.Account);
                    delete.Parameters[1].Value = recipient.Device;
                    for (int i = 0; i < size; i++)
                    {
                        delete.Parameters[2 + i].Value = keys[done + i];
                    }

                    deleted += await delete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            return (deleted, true);
        }, committed: null, WriteUndo.ByTheWork, cancellationToken);
    }

    public Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand delete = SqliteDatabase.Command(connection, transaction,
                "DELETE FROM messages WHERE server_timestamp < @before;", ("@before", serverTimestampBefore));
            return (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), true);
        }, cancellationToken);

    public Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand delete = SqliteDatabase.Command(connection, transaction,
                "DELETE FROM messages WHERE account = @a AND device = @d;",
                ("@a", SqliteDatabase.Key(recipient.Account)), ("@d", recipient.Device));
            return (await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false), true);
        }, cancellationToken);

    public Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken) =>
        database.ReadAsync(connection => CountAsync(connection, null, recipient, cancellationToken), cancellationToken);

    private static async Task<int> CountAsync(SqliteConnection connection, SqliteTransaction? transaction, DeviceAddress recipient, CancellationToken cancellationToken)
    {
        using SqliteCommand count = SqliteDatabase.Command(connection, transaction, CountSql,
            ("@a", SqliteDatabase.Key(recipient.Account)), ("@d", recipient.Device));
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }
}
