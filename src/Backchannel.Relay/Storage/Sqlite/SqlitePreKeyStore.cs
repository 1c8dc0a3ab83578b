using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// <see cref="IPreKeyStore"/> on the relay's SQLite file (tables <c>device_keys</c>, <c>one_time_keys</c>).
/// A take is one write transaction whose deletes use <c>DELETE … RETURNING</c>, so a key goes to one taker only.
/// </summary>
internal sealed class SqlitePreKeyStore(SqliteDatabase database) : IPreKeyStore
{
    private const int SignedKind = 1;
    private const int LastResortKind = 2;
    private const int OneTimeEcKind = 1;
    private const int OneTimeKyberKind = 2;

    public Task<PreKeyUpdateResult> UpdateAsync(DeviceAddress device, PreKeyUpdate update, int maxOneTimeKeysPerKind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        string account = SqliteDatabase.Key(device.Account);
        return database.WriteAsync(async (connection, transaction) =>
        {
            foreach ((int kind, SignedPreKey? key) in new[] { (SignedKind, update.SignedPreKey), (LastResortKind, update.KyberLastResortPreKey) })
            {
                if (key is null)
                {
                    continue;
                }

                using SqliteCommand upsert = SqliteDatabase.Command(connection, transaction,
                    """
                    INSERT INTO device_keys (account, device, kind, key_id, public_key, signature) VALUES (@a, @d, @k, @id, @pk, @sig)
                    ON CONFLICT (account, device, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature;
                    """,
                    ("@a", account), ("@d", device.Device), ("@k", kind), ("@id", (long)key.Id), ("@pk", key.PublicKey), ("@sig", key.Signature));
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            IEnumerable<(int Kind, uint Id, byte[] PublicKey, byte[]? Signature)> oneTime =
                update.PreKeys.Select(k => (OneTimeEcKind, k.Id, k.PublicKey, (byte[]?)null))
                    .Concat(update.KyberPreKeys.Select(k => (OneTimeKyberKind, k.Id, k.PublicKey, (byte[]?)k.Signature)));
            foreach ((int kind, uint id, byte[] publicKey, byte[]? signature) in oneTime)
            {
                using SqliteCommand upsert = SqliteDatabase.Command(connection, transaction,
                    """
                    INSERT INTO one_time_keys (account, device, kind, key_id, public_key, signature) VALUES (@a, @d, @k, @id, @pk, @sig)
                    ON CONFLICT (account, device, kind, key_id) DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature;
                    """,
                    ("@a", account), ("@d", device.Device), ("@k", kind), ("@id", (long)id), ("@pk", publicKey), ("@sig", signature));
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            PreKeyCounts counts = await CountAsync(connection, transaction, account, device.Device, cancellationToken).ConfigureAwait(false);
            bool fits = counts.PreKeys <= maxOneTimeKeysPerKind && counts.KyberPreKeys <= maxOneTimeKeysPerKind;
            return (fits ? PreKeyUpdateResult.Applied : PreKeyUpdateResult.TooManyStored, fits);
        }, cancellationToken);
    }

    public Task<PreKeyCounts> CountAsync(DeviceAddress device, CancellationToken cancellationToken) =>
        database.ReadAsync(connection => CountAsync(connection, null, SqliteDatabase.Key(device.Account), device.Device, cancellationToken), cancellationToken);

    public Task<TakenPreKeys?> TakeAsync(DeviceAddress device, CancellationToken cancellationToken)
    {
        string account = SqliteDatabase.Key(device.Account);
        return database.WriteAsync<TakenPreKeys?>(async (connection, transaction) =>
        {
            SignedPreKey? signed = null;
            SignedPreKey? lastResort = null;
            using (SqliteCommand select = SqliteDatabase.Command(connection, transaction,
                "SELECT kind, key_id, public_key, signature FROM device_keys WHERE account = @a AND device = @d;",
                ("@a", account), ("@d", device.Device)))
            using (SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = new SignedPreKey((uint)reader.GetInt64(1), (byte[])reader[2], (byte[])reader[3]);
                    if (reader.GetInt32(0) == SignedKind)
                    {
                        signed = key;
                    }
                    else if (reader.GetInt32(0) == LastResortKind)
                    {
                        lastResort = key;
                    }
                }
            }

            if (signed is null || lastResort is null)
            {
                return (null, false);
            }

            (uint Id, byte[] PublicKey, byte[]? Signature)? ec = await TakeOneAsync(connection, transaction, account, device.Device, OneTimeEcKind, cancellationToken).ConfigureAwait(false);
            (uint Id, byte[] PublicKey, byte[]? Signature)? kyber = await TakeOneAsync(connection, transaction, account, device.Device, OneTimeKyberKind, cancellationToken).ConfigureAwait(false);
            var taken = new TakenPreKeys(
                signed,
                ec is { } e ? new PreKey(e.Id, e.PublicKey) : null,
                kyber is { } k ? new SignedPreKey(k.Id, k.PublicKey, k.Signature ?? []) : lastResort,
                kyber is null);
            return (taken, true);
        }, cancellationToken);
    }

    public Task DeleteAsync(DeviceAddress device, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            using SqliteCommand delete = SqliteDatabase.Command(connection, transaction,
                "DELETE FROM device_keys WHERE account = @a AND device = @d; DELETE FROM one_time_keys WHERE account = @a AND device = @d;",
                ("@a", SqliteDatabase.Key(device.Account)), ("@d", device.Device));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (true, true);
        }, cancellationToken);

    private static async Task<(uint Id, byte[] PublicKey, byte[]? Signature)?> TakeOneAsync(
        SqliteConnection connection, SqliteTransaction transaction, string account, int device, int kind, CancellationToken cancellationToken)
    {
        using SqliteCommand delete = SqliteDatabase.Command(connection, transaction,
            """
            DELETE FROM one_time_keys
            WHERE account = @a AND device = @d AND kind = @k
              AND key_id = (SELECT MIN(key_id) FROM one_time_keys WHERE account = @a AND device = @d AND kind = @k)
            RETURNING key_id, public_key, signature;
            """,
            ("@a", account), ("@d", device), ("@k", kind));
        using SqliteDataReader reader = await delete.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return ((uint)reader.GetInt64(0), (byte[])reader[1], reader.IsDBNull(2) ? null : (byte[])reader[2]);
    }

    private static async Task<PreKeyCounts> CountAsync(SqliteConnection connection, SqliteTransaction? transaction, string account, int device, CancellationToken cancellationToken)
    {
        using SqliteCommand count = SqliteDatabase.Command(connection, transaction,
            "SELECT kind, COUNT(*) FROM one_time_keys WHERE account = @a AND device = @d GROUP BY kind;",
            ("@a", account), ("@d", device));
        using SqliteDataReader reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        int ec = 0, kyber = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.GetInt32(0) == OneTimeEcKind)
            {
                ec = reader.GetInt32(1);
            }
            else if (reader.GetInt32(0) == OneTimeKyberKind)
            {
                kyber = reader.GetInt32(1);
            }
        }

        return new PreKeyCounts(ec, kyber);
    }
}
