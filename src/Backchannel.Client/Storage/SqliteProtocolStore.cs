using Backchannel.Protocol;

namespace Backchannel.Client.Storage;

/// <summary>
/// The protocol library's store interfaces over <see cref="LocalStore"/>. Records are opaque bytes from the
/// protocol's own serialisation; every write joins the store's current transaction, so a decrypt that is
/// rolled back leaves no trace. Trust is "first key seen, then only that key" per address.
/// </summary>
internal sealed class SqliteProtocolStore : IProtocolStore, ISenderKeyStore, IDisposable
{
    private readonly LocalStore _store;
    private IdentityKeyPair? _identity;

    public SqliteProtocolStore(LocalStore store)
    {
        _store = store;
    }

    public IdentityKeyPair GetIdentityKeyPair() =>
        _identity ??= Parse(_store.GetMeta(MetaKeys.IdentityKeyPair) ?? throw new InvalidOperationException("No identity key pair stored."),
            IdentityKeyPair.Deserialize);

    public uint GetLocalRegistrationId() =>
        (uint)(_store.GetMetaLong(MetaKeys.RegistrationId) ?? throw new InvalidOperationException("No registration id stored."));

    public bool IsTrustedIdentity(ProtocolAddress a, IdentityKey k, Direction d)
    {
        IdentityKey? known = GetIdentity(a);
        bool trusted = known is null || known.Equals(k);
        if (!trusted)
        {
            LastUntrusted = a;
        }
        return trusted;
    }

    /// <summary>The last address whose identity was refused (a sealed message names its sender only inside).</summary>
    public ProtocolAddress? LastUntrusted { get; set; }

    public bool SaveIdentity(ProtocolAddress a, IdentityKey k)
    {
        IdentityKey? known = GetIdentity(a);
        _store.Execute(
            "INSERT INTO identities(name, device, identity_key) VALUES($n, $d, $k) " +
            "ON CONFLICT(name, device) DO UPDATE SET identity_key = excluded.identity_key",
            ("$n", a.Name), ("$d", a.DeviceId), ("$k", k.Serialize()));
        return known is not null && !known.Equals(k);
    }

    public IdentityKey? GetIdentity(ProtocolAddress a) =>
        _store.Blob("SELECT identity_key FROM identities WHERE name = $n AND device = $d", ("$n", a.Name), ("$d", a.DeviceId))
            is { } bytes ? IdentityKey.Deserialize(bytes) : null;

    public SessionRecord? LoadSession(ProtocolAddress a) =>
        Load("sessions.record", "SELECT record FROM sessions WHERE name = $n AND device = $d", SessionRecord.Deserialize,
            ("$n", a.Name), ("$d", a.DeviceId));

    public void StoreSession(ProtocolAddress a, SessionRecord r) =>
        _store.Execute(
            "INSERT INTO sessions(name, device, record) VALUES($n, $d, $r) " +
            "ON CONFLICT(name, device) DO UPDATE SET record = excluded.record",
            ("$n", a.Name), ("$d", a.DeviceId), ("$r", Seal("sessions.record", r.Serialize())));

    public PreKeyRecord? LoadPreKey(uint id) =>
        Load("prekeys.record", "SELECT record FROM prekeys WHERE id = $i", PreKeyRecord.Deserialize, ("$i", (long)id));

    public void StorePreKey(uint id, PreKeyRecord r) =>
        _store.Execute("INSERT OR REPLACE INTO prekeys(id, record) VALUES($i, $r)", ("$i", (long)id), ("$r", Seal("prekeys.record", r.Serialize())));

    public void RemovePreKey(uint id) => _store.Execute("DELETE FROM prekeys WHERE id = $i", ("$i", (long)id));

    public SignedPreKeyRecord? LoadSignedPreKey(uint id) =>
        Load("signed_prekeys.record", "SELECT record FROM signed_prekeys WHERE id = $i", SignedPreKeyRecord.Deserialize, ("$i", (long)id));

    public void StoreSignedPreKey(uint id, SignedPreKeyRecord r) =>
        _store.Execute("INSERT OR REPLACE INTO signed_prekeys(id, record) VALUES($i, $r)", ("$i", (long)id),
            ("$r", Seal("signed_prekeys.record", r.Serialize())));

    public KyberPreKeyRecord? LoadKyberPreKey(uint id) =>
        Load("kyber_prekeys.record", "SELECT record FROM kyber_prekeys WHERE id = $i", KyberPreKeyRecord.Deserialize, ("$i", (long)id));

    public void StoreKyberPreKey(uint id, KyberPreKeyRecord r, bool isLastResort = false) =>
        _store.Execute("INSERT OR REPLACE INTO kyber_prekeys(id, record, last_resort) VALUES($i, $r, $l)",
            ("$i", (long)id), ("$r", Seal("kyber_prekeys.record", r.Serialize())), ("$l", isLastResort ? 1 : 0));

    public void MarkKyberPreKeyUsed(uint id, uint signedPreKeyId, ReadOnlySpan<byte> baseKey)
    {
        object? lastResort = _store.Scalar("SELECT last_resort FROM kyber_prekeys WHERE id = $i", ("$i", (long)id));
        if (lastResort is null)
        {
            return;
        }
        if ((long)lastResort == 0)
        {
            _store.Execute("DELETE FROM kyber_prekeys WHERE id = $i", ("$i", (long)id));
            return;
        }
        // A last-resort key is reused, so a replayed PreKey message on it must be refused: remember every
        // (key, signed prekey, base key) it has been used with.
        int added = _store.Execute(
            "INSERT OR IGNORE INTO kyber_used(id, signed_id, base_key) VALUES($i, $s, $b)",
            ("$i", (long)id), ("$s", (long)signedPreKeyId), ("$b", baseKey.ToArray()));
        if (added == 0)
        {
            throw new InvalidMessageException("Replayed PreKey message on a last-resort Kyber prekey.");
        }
    }

    public SenderKeyRecord? LoadSenderKey(ProtocolAddress sender, Guid distributionId) =>
        Load("sender_keys.record", "SELECT record FROM sender_keys WHERE name = $n AND device = $d AND distribution = $g",
            SenderKeyRecord.Deserialize, ("$n", sender.Name), ("$d", sender.DeviceId), ("$g", distributionId.ToString()));

    public void StoreSenderKey(ProtocolAddress sender, Guid distributionId, SenderKeyRecord record) =>
        _store.Execute(
            "INSERT INTO sender_keys(name, device, distribution, record) VALUES($n, $d, $g, $r) " +
            "ON CONFLICT(name, device, distribution) DO UPDATE SET record = excluded.record",
            ("$n", sender.Name), ("$d", sender.DeviceId), ("$g", distributionId.ToString()),
            ("$r", Seal("sender_keys.record", record.Serialize())));

    /// <summary>Forgets every sender-key record of <paramref name="name"/> for the distribution (a rotation).</summary>
    public void RemoveSenderKeys(string name, Guid distributionId) =>
        _store.Execute("DELETE FROM sender_keys WHERE name = $n AND distribution = $g", ("$n", name), ("$g", distributionId.ToString()));

    /// <summary>Wipes the cached identity key pair.</summary>
    public void Dispose()
    {
        _identity?.Dispose();
        _identity = null;
    }

    private delegate T RecordParser<T>(ReadOnlySpan<byte> bytes);

    /// <summary>Reads and opens a sealed record, parses it, and wipes the plaintext bytes.</summary>
    private T? Load<T>(string place, string sql, RecordParser<T> parse, params (string Name, object? Value)[] parameters)
        where T : class =>
        _store.Unseal(place, _store.Scalar(sql, parameters)) is { } plain ? Parse(plain, parse) : null;

    private static T Parse<T>(byte[] plain, RecordParser<T> parse)
    {
        try
        {
            return parse(plain);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Seals a freshly serialised record and wipes the serialised plaintext.</summary>
    private byte[] Seal(string place, byte[] serialized)
    {
        try
        {
            return _store.Seal(place, serialized)!;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(serialized);
        }
    }
}
