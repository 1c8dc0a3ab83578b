using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;

namespace Backchannel.Client;

/// <summary>
/// The client engine for one device: its local store under a home folder, its relay, its contacts and
/// messages. Owns the rules of the channel (invites, introductions, trust, delivery and acknowledgement);
/// leaves cryptography to <see cref="SessionCrypto"/> and the wire to <see cref="RelayClient"/>.
/// One instance per home folder per process; methods may be called from one logical flow at a time.
/// </summary>
public sealed partial class BackchannelClient : IDisposable
{
    /// <summary>Prekeys uploaded at init and per refill (the relay accepts at most 100 of each kind per upload).</summary>
    private const int PreKeyBatch = 100;

    /// <summary>Refill when fewer one-time keys than this are left on the relay.</summary>
    private const int PreKeyLowWater = 25;

    /// <summary>
    /// A new signed prekey after this long (Signal rotates every few days), for forward secrecy of session
    /// starts. Old signed prekeys stay in the local store for PreKey messages still in flight.
    /// </summary>
    private static readonly TimeSpan SignedPreKeyRotation = TimeSpan.FromDays(7);

    private const int MaxNameLength = 64;

    private readonly LocalStore _store;
    private readonly SqliteProtocolStore _protocol;
    private readonly SessionCrypto _crypto;
    private readonly TimeProvider _time;
    private readonly HttpMessageHandler? _handler;
    private readonly Lock _gate = new();
    private RelayClient? _relay;

    private BackchannelClient(string home, LocalStore store, TimeProvider time, HttpMessageHandler? handler)
    {
        Home = home;
        _store = store;
        _time = time;
        _handler = handler;
        _protocol = new SqliteProtocolStore(store);
        _crypto = new SessionCrypto(_protocol, time);
    }

    /// <summary>Something worth telling the person (a dropped message, a new contact); never message content.</summary>
    public event Action<string>? Notice;

    public string Home { get; }

    /// <summary>Opens (creating if needed) the store under <paramref name="home"/>; a passphrase-protected store fails with <c>PassphraseRequired</c>.</summary>
    public static BackchannelClient Open(string home, TimeProvider? time = null, HttpMessageHandler? handler = null) =>
        Open(home, new ClientOpenOptions { Time = time, Handler = handler });

    /// <summary>
    /// Opens (creating if needed) the store under <paramref name="home"/>. A store protected by a passphrase is unlocked
    /// with <see cref="ClientOpenOptions.Passphrase"/> (<c>PassphraseRequired</c> without one, <c>WrongPassphrase</c>
    /// when it does not fit; nothing is changed either way); a new store is protected by the passphrase it gives for
    /// <see cref="PassphrasePurpose.New"/>, if any.
    /// </summary>
    public static BackchannelClient Open(string home, ClientOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string full = Path.GetFullPath(home);
        try
        {
            return new BackchannelClient(full, LocalStore.Open(full, options.Passphrase), options.Time ?? TimeProvider.System, options.Handler);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"Cannot open the Backchannel home {full}: {e.Message}", e);
        }
    }

    /// <summary>Whether the store's key is wrapped under a passphrase (else it sits in <c>store.key</c>, owner-only).</summary>
    public bool IsPassphraseProtected
    {
        get
        {
            lock (_gate)
            {
                return _store.IsPassphraseProtected;
            }
        }
    }

    /// <summary>
    /// Protects the store with <paramref name="passphrase"/> from now on (replacing any earlier one), or with none when it
    /// is null. Only the key file is rewritten (atomically); the sealed data stays as it is.
    /// </summary>
    public void SetPassphrase(string? passphrase)
    {
        lock (_gate)
        {
            _store.SetPassphrase(passphrase);
        }
    }

    public bool IsInitialised
    {
        get
        {
            lock (_gate)
            {
                return _store.GetMetaString(MetaKeys.Account) is not null;
            }
        }
    }

    /// <summary>This device's account; throws NotInitialised before <see cref="InitAsync"/>.</summary>
    public AccountInfo Account
    {
        get
        {
            lock (_gate)
            {
                string account = _store.GetMetaString(MetaKeys.Account) ?? throw NotInitialised();
                return new AccountInfo(
                    account,
                    (int)(_store.GetMetaLong(MetaKeys.Device) ?? 1),
                    Convert.ToBase64String(_store.GetMeta(MetaKeys.IdentityKey)!),
                    _store.GetMetaString(MetaKeys.Name)!,
                    new Uri(_store.GetMetaString(MetaKeys.Relay)!));
            }
        }
    }

    /// <summary>Creates the identity and prekeys, registers with the relay and uploads the public halves.</summary>
    public Task<AccountInfo> InitAsync(string name, Uri relay, CancellationToken ct = default) => InitAsync(name, relay, null, ct);

    /// <summary>
    /// As <see cref="InitAsync(string, Uri, CancellationToken)"/>, with the relay's TLS pin (base64 SHA-256 of its
    /// certificate's SubjectPublicKeyInfo): when set, the relay's certificate must have that key, and chain errors
    /// (self-signed) are ignored; it is stored with the account and put into invites.
    /// </summary>
    public async Task<AccountInfo> InitAsync(string name, Uri relay, string? pin, CancellationToken ct = default)
    {
        name = ValidateName(name, "name");
        ValidateRelayAndPin(relay, pin);
        if (IsInitialised)
        {
            throw new BackchannelException(ErrorKinds.AlreadyInitialised,
                $"{Home} already holds an identity ({Account.Name}). Use another --home for a second identity.");
        }
        string credential = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        SessionCrypto.NewIdentity identity = SessionCrypto.CreateIdentity();
        byte[] accessKey = RandomNumberGenerator.GetBytes(AccessKeyLength);
        RegisterRequest request;
        lock (_gate)
        {
            request = _store.Transaction(() =>
            {
                // A previous attempt that never reached the relay leaves keys behind: start clean.
                _store.Execute("DELETE FROM prekeys; DELETE FROM signed_prekeys; DELETE FROM kyber_prekeys; DELETE FROM kyber_used;");
                _store.SetMeta(MetaKeys.IdentityKeyPair, identity.KeyPair);
                _store.SetMeta(MetaKeys.IdentityKey, identity.PublicKey);
                _store.SetMeta(MetaKeys.RegistrationId, identity.RegistrationId);
                (PreKeyDto signed, PreKeyDto lastResort, List<PreKeyDto> preKeys, List<PreKeyDto> kyber) = GenerateInitialKeysLocked();
                _store.SetMeta(MetaKeys.AccessKey, accessKey);
                return new RegisterRequest(credential, identity.RegistrationId, identity.PublicKey, signed, lastResort, preKeys, kyber, accessKey);
            });
            CryptographicOperations.ZeroMemory(identity.KeyPair); // sealed in the store now; no plaintext copy lingers
        }
        var client = new RelayClient(relay, _handler, pin);
        RegisterResponse registered;
        try
        {
            registered = await client.RegisterAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            client.Dispose();
            throw Translate(e);
        }
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                _store.SetMeta(MetaKeys.Account, registered.Account.ToLowerInvariant());
                _store.SetMeta(MetaKeys.Device, registered.Device);
                _store.SetMeta(MetaKeys.Credential, credential);
                _store.SetMeta(MetaKeys.Relay, client.BaseUri.AbsoluteUri);
                _store.SetMeta(MetaKeys.Name, name);
                if (pin is not null)
                {
                    _store.SetMeta(MetaKeys.RelayPin, pin);
                }
            });
        }
        _relay?.Dispose();
        _relay = client;
        _relay.SetCredentials(registered.Account.ToLowerInvariant(), registered.Device, credential);
        await TrustRootAsync(ct).ConfigureAwait(false); // pin it now; a failure is retried when it is needed
        return Account;
    }

    /// <summary>The first signed, last-resort Kyber and one-time prekeys of this device (init and device link); under _gate, in a transaction.</summary>
    private (PreKeyDto Signed, PreKeyDto LastResort, List<PreKeyDto> PreKeys, List<PreKeyDto> Kyber) GenerateInitialKeysLocked()
    {
        PreKeyDto signed = _crypto.GenerateSignedPreKey(1);
        PreKeyDto lastResort = _crypto.GenerateKyberPreKey(1, lastResort: true);
        List<PreKeyDto> preKeys = _crypto.GeneratePreKeys(1, PreKeyBatch);
        var kyber = new List<PreKeyDto>(PreKeyBatch);
        for (uint i = 0; i < PreKeyBatch; i++)
        {
            kyber.Add(_crypto.GenerateKyberPreKey(2 + i, lastResort: false));
        }
        _store.SetMeta(MetaKeys.SignedPreKeyId, 1);
        _store.SetMeta(MetaKeys.SignedPreKeyCreatedAt, Now());
        _store.SetMeta(MetaKeys.NextPreKeyId, 1 + PreKeyBatch);
        _store.SetMeta(MetaKeys.NextKyberPreKeyId, 2 + PreKeyBatch);
        return (signed, lastResort, preKeys, kyber);
    }

    /// <summary>Makes a one-time invite and remembers its secret as outstanding.</summary>
    public string CreateInvite()
    {
        AccountInfo me = Account;
        string secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        lock (_gate)
        {
            _store.Execute("INSERT INTO invites(secret_hash, created_at) VALUES($h, $t)",
                ("$h", SHA256.HashData(Encoding.UTF8.GetBytes(secret))), ("$t", Now()));
        }
        byte[]? trustRoot;
        byte[]? accessKey;
        string? pin;
        lock (_gate)
        {
            trustRoot = _store.GetMeta(MetaKeys.TrustRoot);
            accessKey = _store.GetMeta(MetaKeys.AccessKey);
            pin = _store.GetMetaString(MetaKeys.RelayPin);
        }
        return new Invite(me.Relay, me.Account, Convert.FromBase64String(me.IdentityKey), me.Name, secret, trustRoot, accessKey, pin).Encode();
    }

    /// <summary>
    /// Accepts an invite: checks the relay's bundle against the invite's identity key (so the relay cannot swap
    /// keys), starts the session, records the contact and sends the introduction.
    /// </summary>
    public async Task<ContactInfo> AcceptAsync(string inviteText, string? alias = null, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        Invite invite = Invite.Parse(inviteText);
        if (invite.Account == me.Account)
        {
            throw new BackchannelException(ErrorKinds.OwnInvite, "That invite is your own; hand it to the other side.");
        }
        if (!SameRelay(invite.Relay, me.Relay))
        {
            throw new BackchannelException(ErrorKinds.RelayMismatch,
                $"The invite is for the relay {invite.Relay}, but this device is registered with {me.Relay}.");
        }
        if (invite.Pin is not null)
        {
            string? ourPin;
            lock (_gate)
            {
                ourPin = _store.GetMetaString(MetaKeys.RelayPin);
            }
            if (ourPin is not null && ourPin != invite.Pin)
            {
                throw new BackchannelException(ErrorKinds.RelayCertificateInvalid,
                    "The invite pins a different TLS key for the relay than this device did. Refusing: someone may be " +
                    "impersonating the relay. Ask the sender for a new invite over a channel you trust.");
            }
        }
        if (alias is not null)
        {
            alias = ValidateName(alias, "alias");
        }
        lock (_gate)
        {
            if (FindContactByAccount(invite.Account) is { } existing)
            {
                throw new BackchannelException(ErrorKinds.AlreadyContact, $"That invite's sender is already your contact \"{existing.Alias}\".");
            }
            if (alias is not null && FindContactByAlias(alias) is not null)
            {
                throw new BackchannelException(ErrorKinds.AliasTaken, $"The alias \"{alias}\" is already taken; choose another with --alias.");
            }
        }
        if (invite.TrustRoot is not null)
        {
            // Both use this relay (checked above): its trust root must be the one the inviter pinned.
            byte[]? ours = await TrustRootAsync(ct).ConfigureAwait(false)
                ?? throw new BackchannelException(ErrorKinds.RelayUnreachable, "Cannot fetch the relay's trust root to check the invite.");
            if (!CryptographicOperations.FixedTimeEquals(ours, invite.TrustRoot))
            {
                throw new BackchannelException(ErrorKinds.TrustRootMismatch,
                    "The invite's relay trust root differs from the one this device pinned for the relay. Refusing: someone may be " +
                    "impersonating the relay. Ask the sender for a new invite over a channel you trust.");
            }
        }
        BundleResponse bundle = await FetchBundleAsync(invite.Account, ct).ConfigureAwait(false);
        if (!CryptographicOperations.FixedTimeEquals(bundle.IdentityKey, invite.IdentityKey))
        {
            throw new BackchannelException(ErrorKinds.IdentityMismatch,
                "The relay's keys for this account do not match the identity in the invite. Refusing: the relay may be " +
                "trying to intercept. Ask the sender for a new invite over a channel you trust.");
        }
        string chosen;
        lock (_gate)
        {
            chosen = _store.Transaction(() =>
            {
                string a = alias ?? UniqueAlias(invite.Name);
                foreach (DeviceKeysDto device in bundle.Devices)
                {
                    try
                    {
                        _crypto.ProcessBundle(invite.Account, bundle.IdentityKey, device);
                    }
                    catch (CryptoFailure f) when (f.Kind == CryptoFailureKind.UntrustedIdentity)
                    {
                        throw new BackchannelException(ErrorKinds.IdentityChanged,
                            "This device already knows a different identity key for that account; refusing the invite.");
                    }
                    catch (CryptoFailure f)
                    {
                        throw new BackchannelException(ErrorKinds.RelayError, $"The relay served an unusable bundle ({f.Message}).");
                    }
                }
                _store.Execute(
                    "INSERT INTO contacts(account, alias, identity_key, verified, created_at) VALUES($a, $n, $k, 0, $t)",
                    ("$a", invite.Account), ("$n", a), ("$k", bundle.IdentityKey), ("$t", Now()));
                if (invite.AccessKey is not null)
                {
                    SaveAccessKeyLocked(invite.Account, invite.AccessKey);
                }
                var intro = new Envelope
                {
                    Id = NewId(),
                    Kind = Envelope.KindIntro,
                    SentAt = Now(),
                    Secret = invite.Secret,
                    Name = me.Name,
                    AccessKey = _store.GetMeta(MetaKeys.AccessKey),
                };
                EnqueueLocked(invite.Account, intro);
                return a;
            });
        }
        await FlushOutboxAsync(ct).ConfigureAwait(false);
        return Contacts().First(c => c.Account == invite.Account) with { Alias = chosen };
    }

    /// <summary>Every contact with its safety number.</summary>
    public IReadOnlyList<ContactInfo> Contacts()
    {
        AccountInfo me = Account;
        lock (_gate)
        {
            return _store.Query("SELECT account FROM contacts ORDER BY alias COLLATE NOCASE", r => r.GetString(0))
                .Select(a => ToInfo(me, FindContactByAccount(a)!))
                .ToList();
        }
    }

    /// <summary>
    /// Shows the safety number for <paramref name="alias"/>; with <paramref name="confirm"/>, records it as
    /// verified — and, after an identity change, accepts the new key so sending works again.
    /// </summary>
    public async Task<VerifyResult> VerifyAsync(string alias, bool confirm, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        Contact contact = RequireContact(alias);
        if (contact.ChangedKey is { Length: 0 })
        {
            // The change was noticed while the relay was unreachable: learn the new key now.
            BundleResponse bundle = await FetchBundleAsync(contact.Account, ct).ConfigureAwait(false);
            lock (_gate)
            {
                _store.Execute("UPDATE contacts SET changed_key = $k WHERE account = $a", ("$k", bundle.IdentityKey), ("$a", contact.Account));
            }
            contact = RequireContact(alias);
        }
        if (confirm)
        {
            lock (_gate)
            {
                _store.Transaction(() =>
                {
                    if (contact.ChangedKey is { Length: > 0 } newKey)
                    {
                        foreach (int device in KnownDevices(contact.Account))
                        {
                            _crypto.Trust(contact.Account, device, newKey);
                        }
                        _store.Execute("UPDATE contacts SET identity_key = $k, changed_key = NULL WHERE account = $a",
                            ("$k", newKey), ("$a", contact.Account));
                    }
                    _store.Execute("UPDATE contacts SET verified = 1 WHERE account = $a", ("$a", contact.Account));
                });
            }
            contact = RequireContact(alias);
        }
        ContactInfo info = ToInfo(me, contact);
        return new VerifyResult(info.Alias, info.SafetyNumber, info.Verified, info.IdentityChanged);
    }

    internal sealed record Contact(string Account, string Alias, byte[] IdentityKey, bool Verified, byte[]? ChangedKey)
    {
        public bool IdentityChanged => ChangedKey is not null;
    }

    private ContactInfo ToInfo(AccountInfo me, Contact c)
    {
        byte[] theirKey = c.ChangedKey is { Length: > 0 } changed ? changed : c.IdentityKey;
        string safety = SessionCrypto.SafetyNumber(me.Account, Convert.FromBase64String(me.IdentityKey), c.Account, theirKey);
        return new ContactInfo(c.Alias, c.Account, c.Verified && !c.IdentityChanged, safety, c.IdentityChanged);
    }

    internal Contact RequireContact(string alias)
    {
        lock (_gate)
        {
            if (FindContactByAlias(alias) is { } c)
            {
                return c;
            }
            List<string> known = _store.Query("SELECT alias FROM contacts ORDER BY alias", r => r.GetString(0));
            string hint = known.Count == 0
                ? "You have no contacts yet: `backchannel invite` / `backchannel accept`."
                : $"Known: {string.Join(", ", known)}.";
            throw new BackchannelException(ErrorKinds.UnknownAlias, $"No contact called \"{alias}\". {hint}");
        }
    }

    private Contact? FindContactByAlias(string alias) =>
        _store.Query("SELECT account, alias, identity_key, verified, changed_key FROM contacts WHERE alias = $n", ReadContact, ("$n", alias))
            .FirstOrDefault();

    private Contact? FindContactByAccount(string account) =>
        _store.Query("SELECT account, alias, identity_key, verified, changed_key FROM contacts WHERE account = $a", ReadContact, ("$a", account))
            .FirstOrDefault();

    private static Contact ReadContact(Microsoft.Data.Sqlite.SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), (byte[])r[2], r.GetInt64(3) != 0, r.IsDBNull(4) ? null : (byte[])r[4]);

    private List<int> KnownDevices(string account)
    {
        List<int> devices = _store.Query(
            "SELECT device FROM sessions WHERE name = $a UNION SELECT device FROM identities WHERE name = $a",
            r => (int)r.GetInt64(0), ("$a", account));
        return devices.Count == 0 ? [1] : devices;
    }

    /// <summary>The name itself when free, else name-2, name-3, …</summary>
    private string UniqueAlias(string name)
    {
        string baseName = ValidateName(name, "name");
        string candidate = baseName;
        for (int i = 2; FindContactByAlias(candidate) is not null; i++)
        {
            candidate = $"{baseName}-{i}";
        }
        return candidate;
    }

    /// <summary>The relay URL must be http(s); a pin, when given, the base64 SHA-256 of the relay's key.</summary>
    private static void ValidateRelayAndPin(Uri relay, string? pin)
    {
        if (pin is not null && !RelayClient.IsValidPin(pin))
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The pin must be the base64 SHA-256 the relay logs at start-up (44 characters).");
        }
        if (relay.Scheme != "http" && relay.Scheme != "https")
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The relay URL must start with http:// or https://.");
        }
    }

    private static string ValidateName(string? name, string what)
    {
        string n = (name ?? "").Trim();
        if (n.Length == 0 || n.Length > MaxNameLength || n.Any(char.IsControl))
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"The {what} must be 1 to {MaxNameLength} printable characters.");
        }
        return n;
    }

    private static bool SameRelay(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
        || string.Equals(a.AbsoluteUri.TrimEnd('/'), b.AbsoluteUri.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private RelayClient Relay()
    {
        if (_relay is not null)
        {
            return _relay;
        }
        AccountInfo me = Account;
        string credential;
        string? pin;
        lock (_gate)
        {
            credential = _store.GetMetaString(MetaKeys.Credential)!;
            pin = _store.GetMetaString(MetaKeys.RelayPin);
        }
        var relay = new RelayClient(me.Relay, _handler, pin);
        relay.SetCredentials(me.Account, me.Device, credential);
        _relay = relay;
        return relay;
    }

    private async Task<BundleResponse> FetchBundleAsync(string account, CancellationToken ct)
    {
        try
        {
            BundleResponse bundle = await Relay().GetBundleAsync(account, ct).ConfigureAwait(false);
            if (bundle.Devices.Count == 0)
            {
                throw new BackchannelException(ErrorKinds.RelayError, "The relay has no devices for that account.");
            }
            return bundle;
        }
        catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new BackchannelException(ErrorKinds.RelayError, "The relay does not know that account (was it registered on this relay?).", e);
        }
        catch (Exception e) when (e is not BackchannelException)
        {
            throw Translate(e);
        }
    }

    private static Exception Translate(Exception e) => e switch
    {
        BackchannelException => e,
        RelayUnreachableException u => new BackchannelException(ErrorKinds.RelayUnreachable, u.Message, u),
        RelayProblemException p => new BackchannelException(ErrorKinds.RelayError, $"The relay refused the request: {p.Message}", p),
        _ => e,
    };

    private static BackchannelException NotInitialised() =>
        new(ErrorKinds.NotInitialised, "This home has no identity yet. Run `backchannel init --name NAME --relay URL` first.");

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string NewId() => Guid.NewGuid().ToString();

    private void OnNotice(string text) => Notice?.Invoke(text);

    public void Dispose()
    {
        _relay?.Dispose();
        _protocol.Dispose();
        _store.Dispose();
    }
}
