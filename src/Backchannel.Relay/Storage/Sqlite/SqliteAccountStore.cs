using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary><see cref="IAccountStore"/> on the relay's SQLite file (tables <c>accounts</c>, <c>devices</c>, <c>link_tokens</c>).</summary>
internal sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    private const string DeviceColumns = "device, registration_id, credential_hash, created_at, name, last_seen_at";

    private const string SelectDevice = $"SELECT {DeviceColumns} FROM devices WHERE account = @a AND device = @d;";

    /// <summary>The devices looked up by every request; invalidated after each commit that changes a device row.</summary>
    private readonly DeviceRecordCache _cache = new();

    public Task<bool> CreateAsync(Guid account, byte[] identityKey, byte[]? accessKeyHash, DeviceRecord firstDevice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identityKey);
        ArgumentNullException.ThrowIfNull(firstDevice);
        if (firstDevice.Address.Account != account)
        {
            throw new ArgumentException("The device must belong to the account.", nameof(firstDevice));
        }

        return database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand insert = SqliteDatabase.Command(connection, transaction,
                "INSERT INTO accounts (id, identity_key, created_at, access_key_hash) VALUES (@id, @key, @at, @ak) ON CONFLICT (id) DO NOTHING;",
                ("@id", SqliteDatabase.Key(account)), ("@key", identityKey), ("@at", firstDevice.CreatedAt), ("@ak", accessKeyHash));
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return (false, false);
            }

            await InsertDeviceAsync(connection, transaction, firstDevice, cancellationToken).ConfigureAwait(false);
            return (true, true);
        }, cancellationToken);
    }

    /// <summary>
    /// Every authenticated request and every send reads this: from <see cref="DeviceRecordCache"/>, else on a kept
    /// connection with its statement prepared.
    /// </summary>
    public Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _cache.TryGet(device, out DeviceRecord? cached) ? Task.FromResult(cached) : ReadDeviceAsync(device, cancellationToken);
    }

    private Task<DeviceRecord?> ReadDeviceAsync(DeviceAddress device, CancellationToken cancellationToken) =>
        database.ReadPreparedAsync(async connection =>
        {
            long generation = _cache.Generation;
            SqliteCommand select = connection.Command(null, SelectDevice, "@a", "@d");
            select.Parameters[0].Value = SqliteDatabase.Key(device.Account);
            select.Parameters[1].Value = device.Device;
            using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            DeviceRecord record = ReadDevice(reader, device.Account);
            _cache.Add(record, generation);
            return record;
        }, cancellationToken);

    public Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            string key = SqliteDatabase.Key(account);
            byte[] identityKey;
            byte[]? accessKeyHash;
            using (SqliteCommand select = SqliteDatabase.Command(connection, null,
                "SELECT identity_key, access_key_hash FROM accounts WHERE id = @a;", ("@a", key)))
            using (SqliteDataReader row = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await row.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                identityKey = (byte[])row[0];
                accessKeyHash = row.IsDBNull(1) ? null : (byte[])row[1];
            }

            using SqliteCommand devices = SqliteDatabase.Command(connection, null,
                $"SELECT {DeviceColumns} FROM devices WHERE account = @a ORDER BY device;", ("@a", key));
            using SqliteDataReader reader = await devices.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<DeviceRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(ReadDevice(reader, account));
            }

            return new AccountRecord(account, identityKey, list) { AccessKeyHash = accessKeyHash };
        }, cancellationToken);

    public Task<bool> SetAccessKeyAsync(Guid account, byte[] accessKeyHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accessKeyHash);
        return database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand update = SqliteDatabase.Command(connection, transaction,
                "UPDATE accounts SET access_key_hash = @h WHERE id = @a;", ("@h", accessKeyHash), ("@a", SqliteDatabase.Key(account)));
            bool found = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            return (found, found);
        }, cancellationToken);
    }

    public Task CreateLinkTokenAsync(Guid account, byte[] tokenHash, long now, long expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        return database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand insert = SqliteDatabase.Command(connection, transaction,
                """
                DELETE FROM link_tokens WHERE expires_at < @now;
                INSERT INTO link_tokens (token_hash, account, expires_at) VALUES (@h, @a, @x);
                """,
                ("@now", now), ("@h", tokenHash), ("@a", SqliteDatabase.Key(account)), ("@x", expiresAt));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (true, true);
        }, cancellationToken);
    }

    public Task<LinkDeviceResult> LinkDeviceAsync(Guid account, byte[] tokenHash, long now, NewDevice device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        ArgumentNullException.ThrowIfNull(device);
        string key = SqliteDatabase.Key(account);
        return database.WriteAsync(async (connection, transaction) =>
        {
            using (SqliteCommand spend = SqliteDatabase.Command(connection, transaction,
                "DELETE FROM link_tokens WHERE token_hash = @h AND account = @a AND expires_at >= @now;",
                ("@h", tokenHash), ("@a", key), ("@now", now)))
            {
                if (await spend.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
                {
                    return (LinkDeviceResult.Refused, false);
                }
            }

            var taken = new HashSet<int>();
            using (SqliteCommand select = SqliteDatabase.Command(connection, transaction,
                "SELECT device FROM devices WHERE account = @a;", ("@a", key)))
            using (SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    taken.Add(reader.GetInt32(0));
                }
            }

            if (taken.Count == 0)
            {
                return (LinkDeviceResult.Refused, false);
            }

            int id = DeviceAddress.LowestFreeLinkedDevice(taken);
            if (id == 0)
            {
                return (LinkDeviceResult.Full, false);
            }

            var record = new DeviceRecord(new DeviceAddress(account, id), device.RegistrationId, device.CredentialHash, device.CreatedAt)
            {
                Name = device.Name,
                LastSeenAt = device.LastSeenAt,
            };
            await InsertDeviceAsync(connection, transaction, record, cancellationToken).ConfigureAwait(false);
            return (new LinkDeviceResult(LinkDeviceOutcome.Linked, id), true);
        }, cancellationToken);
    }

    public Task<RemoveDeviceResult> RemoveDeviceAsync(DeviceAddress device, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            string key = SqliteDatabase.Key(device.Account);
            using SqliteCommand count = SqliteDatabase.Command(connection, transaction,
                "SELECT COUNT(*), SUM(device = @d) FROM devices WHERE account = @a;", ("@a", key), ("@d", device.Device));
            using SqliteDataReader reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            long devices = reader.GetInt64(0);
            long matching = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            await reader.DisposeAsync().ConfigureAwait(false);
            if (matching == 0)
            {
                return (RemoveDeviceResult.NotFound, false);
            }

            if (devices == 1)
            {
                return (RemoveDeviceResult.LastDevice, false);
            }

            using SqliteCommand delete = SqliteDatabase.Command(connection, transaction,
                "DELETE FROM devices WHERE account = @a AND device = @d;", ("@a", key), ("@d", device.Device));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (RemoveDeviceResult.Removed, true);
        }, _ => _cache.Invalidate(device), cancellationToken);

    public Task TouchDeviceAsync(DeviceAddress device, long lastSeenAt, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand update = SqliteDatabase.Command(connection, transaction,
                "UPDATE devices SET last_seen_at = @t WHERE account = @a AND device = @d AND (last_seen_at IS NULL OR last_seen_at < @t);",
                ("@t", lastSeenAt), ("@a", SqliteDatabase.Key(device.Account)), ("@d", device.Device));
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (true, true);
        }, _ => _cache.Invalidate(device), cancellationToken);

    private static async Task InsertDeviceAsync(SqliteConnection connection, SqliteTransaction transaction, DeviceRecord device, CancellationToken cancellationToken)
    {
        using SqliteCommand insert = SqliteDatabase.Command(connection, transaction,
            "INSERT INTO devices (account, device, registration_id, credential_hash, created_at, name, last_seen_at) VALUES (@a, @d, @r, @h, @at, @n, @ls);",
            ("@a", SqliteDatabase.Key(device.Address.Account)), ("@d", device.Address.Device), ("@r", device.RegistrationId),
            ("@h", device.CredentialHash), ("@at", device.CreatedAt), ("@n", device.Name), ("@ls", device.LastSeenAt));
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DeviceRecord ReadDevice(SqliteDataReader reader, Guid account) =>
        new(new DeviceAddress(account, reader.GetInt32(0)), reader.GetInt32(1), (byte[])reader[2], reader.GetInt64(3))
        {
            Name = reader.IsDBNull(4) ? null : reader.GetString(4),
            LastSeenAt = reader.IsDBNull(5) ? null : reader.GetInt64(5),
        };
}
