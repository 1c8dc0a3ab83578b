using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary><see cref="IAccountStore"/> on the relay's SQLite file (tables <c>accounts</c>, <c>devices</c>).</summary>
internal sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    public Task<bool> CreateAsync(Guid account, byte[] identityKey, DeviceRecord firstDevice, CancellationToken cancellationToken)
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
                "INSERT INTO accounts (id, identity_key, created_at) VALUES (@id, @key, @at) ON CONFLICT (id) DO NOTHING;",
                ("@id", SqliteDatabase.Key(account)), ("@key", identityKey), ("@at", firstDevice.CreatedAt));
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return (false, false);
            }

            using SqliteCommand device = SqliteDatabase.Command(connection, transaction,
                "INSERT INTO devices (account, device, registration_id, credential_hash, created_at) VALUES (@a, @d, @r, @h, @at);",
                ("@a", SqliteDatabase.Key(account)), ("@d", firstDevice.Address.Device), ("@r", firstDevice.RegistrationId),
                ("@h", firstDevice.CredentialHash), ("@at", firstDevice.CreatedAt));
            await device.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (true, true);
        }, cancellationToken);
    }

    public Task<DeviceRecord?> GetDeviceAsync(DeviceAddress device, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            using SqliteCommand select = SqliteDatabase.Command(connection, null,
                "SELECT registration_id, credential_hash, created_at FROM devices WHERE account = @a AND device = @d;",
                ("@a", SqliteDatabase.Key(device.Account)), ("@d", device.Device));
            using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new DeviceRecord(device, reader.GetInt32(0), (byte[])reader[1], reader.GetInt64(2))
                : null;
        }, cancellationToken);

    public Task<AccountRecord?> GetAccountAsync(Guid account, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            string key = SqliteDatabase.Key(account);
            using SqliteCommand select = SqliteDatabase.Command(connection, null,
                "SELECT identity_key FROM accounts WHERE id = @a;", ("@a", key));
            if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not byte[] identityKey)
            {
                return null;
            }

            using SqliteCommand devices = SqliteDatabase.Command(connection, null,
                "SELECT device, registration_id, credential_hash, created_at FROM devices WHERE account = @a ORDER BY device;", ("@a", key));
            using SqliteDataReader reader = await devices.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<DeviceRecord>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new DeviceRecord(new DeviceAddress(account, reader.GetInt32(0)), reader.GetInt32(1), (byte[])reader[2], reader.GetInt64(3)));
            }

            return new AccountRecord(account, identityKey, list);
        }, cancellationToken);
}
