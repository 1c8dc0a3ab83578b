using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;
using Backchannel.Protocol;

namespace Backchannel.Client;

/// <summary>
/// Multi-device: linking a new device (<see cref="StartLinkAsync"/>, <see cref="CompleteLinkAsync"/>) approved
/// from an existing one (<see cref="ApproveAsync"/>), listing and removing devices. The provisioning message is
/// encrypted by the approving device to the new device's ephemeral X25519 key (ECDH with a fresh ephemeral key,
/// HKDF-SHA256, AES-256-GCM); the relay sees opaque bytes.
/// </summary>
public sealed partial class BackchannelClient
{
    /// <summary>Prefix of a link code: <c>bcl1.</c> + base64url JSON {relay, id, key}.</summary>
    public const string LinkCodePrefix = "bcl1.";

    private const int MaxLinkCodeLength = 4096;

    /// <summary>How long a device list fetched before a send is reused (a burst of sends asks once).</summary>
    private static readonly TimeSpan DeviceRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>When each account's device list was last fetched, by this instance.</summary>
    private readonly Dictionary<string, DateTimeOffset> _deviceRefreshes = [];
    private static readonly byte[] ProvisioningInfo = Encoding.UTF8.GetBytes("Backchannel provisioning v1");
    private static readonly JsonSerializerOptions ProvisioningJson = new(JsonSerializerDefaults.Web);

    /// <summary>A link waiting for its approval: show <see cref="Code"/> to an existing device.</summary>
    public sealed class PendingLink : IDisposable
    {
        internal PendingLink(Uri relay, string id, ECKeyPair key, string? pin)
        {
            Relay = relay;
            Pin = pin;
            Id = id;
            Key = key;
            Code = LinkCodePrefix + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(
                new LinkCodeWire(relay.AbsoluteUri, id, Convert.ToBase64String(key.PublicKey.Serialize())), ProvisioningJson));
        }

        public Uri Relay { get; }

        public string Code { get; }

        internal string Id { get; }

        internal string? Pin { get; }

        internal ECKeyPair Key { get; }

        public void Dispose() => Key.Dispose();
    }

    private sealed record LinkCodeWire(string Relay, string Id, string Key);

    private sealed record ProvisionedContact(string Alias, string Account, byte[] IdentityKey, bool Verified, byte[]? AccessKey);

    private sealed record ProvisioningPayload(
        string Account, byte[] IdentityKeyPair, string LinkToken, string Name, byte[]? TrustRoot, byte[]? AccessKey,
        IReadOnlyList<ProvisionedContact> Contacts, string? RelayPin = null, IReadOnlyList<ProvisionedChannel>? Channels = null)
    {
        public override string ToString() => nameof(ProvisioningPayload);
    }

    /// <summary>On a new (uninitialised) home: opens a provisioning mailbox on <paramref name="relay"/> and makes the link code.</summary>
    /// <param name="pin">As for <see cref="InitAsync"/>: the relay certificate's key pin, required for a self-signed relay.</param>
    public async Task<PendingLink> StartLinkAsync(Uri relay, string? pin = null, CancellationToken ct = default)
    {
        ValidateRelayAndPin(relay, pin);
        if (IsInitialised)
        {
            throw new BackchannelException(ErrorKinds.AlreadyInitialised,
                $"{Home} already holds an identity ({Account.Name}). Link a new device into a fresh --home.");
        }
        using var client = new RelayClient(relay, _handler, pin);
        ProvisioningIdResponse opened;
        try
        {
            opened = await client.OpenProvisioningAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        return new PendingLink(client.BaseUri, opened.Id, ECKeyPair.Generate(), pin);
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the approval (polling once a second), then registers this device
    /// with the account it received and stores the account's identity, trust root, access key and contacts.
    /// </summary>
    public async Task<AccountInfo> CompleteLinkAsync(PendingLink link, string? deviceName, TimeSpan wait, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        if (deviceName is not null)
        {
            deviceName = ValidateName(deviceName, "device name");
        }
        using var client = new RelayClient(link.Relay, _handler, link.Pin);
        DateTimeOffset deadline = _time.GetUtcNow() + wait;
        byte[]? sealedMessage = null;
        while (sealedMessage is null)
        {
            try
            {
                sealedMessage = (await client.GetProvisioningAsync(link.Id, ct).ConfigureAwait(false)).Message;
            }
            catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                if (_time.GetUtcNow() >= deadline)
                {
                    throw new BackchannelException(ErrorKinds.LinkTimeout,
                        "No approval arrived in time. Run `backchannel device link` again and approve the new code.");
                }
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            catch (RelayUnreachableException) when (_time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Translate(e);
            }
        }
        ProvisioningPayload payload = OpenProvisioning(link, sealedMessage);
        byte[] publicIdentity;
        using (IdentityKeyPair pair = IdentityKeyPair.Deserialize(payload.IdentityKeyPair))
        {
            publicIdentity = pair.PublicKey.Serialize();
        }
        string account = payload.Account.ToLowerInvariant();
        string name = ValidateName(payload.Name, "name");
        string credential = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        uint registrationId = SessionCrypto.CreateIdentity().RegistrationId;
        LinkDeviceRequest request;
        lock (_gate)
        {
            request = _store.Transaction(() =>
            {
                _store.Execute("DELETE FROM prekeys; DELETE FROM signed_prekeys; DELETE FROM kyber_prekeys; DELETE FROM kyber_used;");
                _store.SetMeta(MetaKeys.IdentityKeyPair, payload.IdentityKeyPair);
                _store.SetMeta(MetaKeys.IdentityKey, publicIdentity);
                _store.SetMeta(MetaKeys.RegistrationId, registrationId);
                (PreKeyDto signed, PreKeyDto lastResort, List<PreKeyDto> preKeys, List<PreKeyDto> kyber) = GenerateInitialKeysLocked();
                return new LinkDeviceRequest(account, payload.LinkToken, credential, registrationId, deviceName,
                    signed, lastResort, preKeys, kyber);
            });
            CryptographicOperations.ZeroMemory(payload.IdentityKeyPair); // sealed in the store now
        }
        RegisterResponse linked;
        try
        {
            linked = await client.LinkDeviceAsync(request, ct).ConfigureAwait(false);
        }
        catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.Forbidden)
        {
            throw new BackchannelException(ErrorKinds.RelayError,
                "The relay refused the link token (spent or expired). Run `backchannel device link` again.", e);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                _store.SetMeta(MetaKeys.Account, linked.Account.ToLowerInvariant());
                _store.SetMeta(MetaKeys.Device, linked.Device);
                _store.SetMeta(MetaKeys.Credential, credential);
                _store.SetMeta(MetaKeys.Relay, link.Relay.AbsoluteUri);
                _store.SetMeta(MetaKeys.Name, name);
                if ((link.Pin ?? (RelayClient.IsValidPin(payload.RelayPin) ? payload.RelayPin : null)) is { } relayPin)
                {
                    // Our own pin if we linked with one; else the approving device's, so later requests are pinned too.
                    _store.SetMeta(MetaKeys.RelayPin, relayPin);
                }
                if (payload.TrustRoot is { Length: 33 } root)
                {
                    _store.SetMeta(MetaKeys.TrustRoot, root);
                }
                if (payload.AccessKey is { Length: AccessKeyLength } key)
                {
                    _store.SetMeta(MetaKeys.AccessKey, key);
                }
                foreach (ProvisionedContact c in payload.Contacts)
                {
                    string contactAccount = c.Account.ToLowerInvariant();
                    if (!Guid.TryParse(contactAccount, out _) || !SessionCrypto.IsIdentityKey(c.IdentityKey)
                        || FindContactByAccount(contactAccount) is not null || contactAccount == account)
                    {
                        continue;
                    }
                    string alias;
                    try
                    {
                        alias = UniqueAlias(c.Alias);
                    }
                    catch (BackchannelException)
                    {
                        continue;
                    }
                    _store.Execute(
                        "INSERT INTO contacts(account, alias, identity_key, verified, created_at) VALUES($a, $n, $k, $v, $t)",
                        ("$a", contactAccount), ("$n", alias), ("$k", c.IdentityKey), ("$v", c.Verified ? 1 : 0), ("$t", Now()));
                    if (c.AccessKey is { Length: AccessKeyLength } contactKey)
                    {
                        SaveAccessKeyLocked(contactAccount, contactKey);
                    }
                }
                StoreProvisionedChannelsLocked(payload.Channels ?? []);
            });
        }
        _relay?.Dispose();
        _relay = null;
        await AnnounceLinkedDeviceAsync(ct).ConfigureAwait(false);
        return Account;
    }

    /// <summary>On an existing device: approves the new device that shows <paramref name="code"/>.</summary>
    public async Task ApproveAsync(string code, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        (Uri relay, string id, ECPublicKey key) = ParseLinkCode(code);
        if (!SameRelay(relay, me.Relay))
        {
            throw new BackchannelException(ErrorKinds.RelayMismatch,
                $"The link code is for the relay {relay}, but this device is registered with {me.Relay}.");
        }
        byte[]? trustRoot = await TrustRootAsync(ct).ConfigureAwait(false);
        LinkTokenResponse token;
        try
        {
            token = await Relay().GetLinkTokenAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        ProvisioningPayload payload;
        lock (_gate)
        {
            List<ProvisionedContact> contacts = _store.Query(
                "SELECT account FROM contacts ORDER BY alias", r => r.GetString(0))
                .Select(a => FindContactByAccount(a)!)
                .Select(c => new ProvisionedContact(c.Alias, c.Account, c.IdentityKey, c.Verified, AccessKeyOfLocked(c.Account)))
                .ToList();
            payload = new ProvisioningPayload(me.Account, _store.GetMeta(MetaKeys.IdentityKeyPair)!, token.Token, me.Name,
                trustRoot, _store.GetMeta(MetaKeys.AccessKey), contacts, _store.GetMetaString(MetaKeys.RelayPin), ProvisionedChannelsLocked());
        }
        List<int> before = await OwnDeviceIdsAsync(ct).ConfigureAwait(false);
        byte[] sealedMessage = SealProvisioning(id, key, payload);
        CryptographicOperations.ZeroMemory(payload.IdentityKeyPair);
        try
        {
            await Relay().PutProvisioningAsync(id, sealedMessage, ct).ConfigureAwait(false);
        }
        catch (RelayProblemException e) when (e.Status is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            throw new BackchannelException(ErrorKinds.RelayError,
                "That link code has expired or was already approved. Run `backchannel device link` again on the new device.", e);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        await CopyHistoryToNewDeviceAsync(before, ct).ConfigureAwait(false);
    }

    /// <summary>This account's devices as the relay lists them.</summary>
    public async Task<IReadOnlyList<DeviceInfo>> DevicesAsync(CancellationToken ct = default)
    {
        AccountInfo me = Account;
        try
        {
            DeviceListResponse list = await Relay().GetDevicesAsync(ct).ConfigureAwait(false);
            return list.Devices.Select(d => new DeviceInfo(d.DeviceId, d.Name, d.CreatedAt, d.LastSeenAt, d.DeviceId == me.Device)).ToList();
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
    }

    /// <summary>Removes a device of this account; its credential stops working at once.</summary>
    public async Task RemoveDeviceAsync(int device, CancellationToken ct = default)
    {
        if (device is < 1 or > 127)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "A device id is 1 to 127.");
        }
        AccountInfo me = Account;
        try
        {
            await Relay().RemoveDeviceAsync(device, ct).ConfigureAwait(false);
        }
        catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"This account has no device {device}.", e);
        }
        catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "That is the account's only device; it cannot be removed.", e);
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
        // Nothing more goes to it from here: no transcripts, channel changes or history.
        lock (_deviceRefreshes)
        {
            _deviceRefreshes.Remove(me.Account);
        }
        lock (_gate)
        {
            _store.Execute("DELETE FROM sessions WHERE name = $a AND device = $d", ("$a", me.Account), ("$d", device));
        }
    }

    /// <summary>
    /// Before a send: asks the relay which devices the contact has now (one small request), starts sessions with
    /// devices linked since we last looked and forgets removed ones, so every current device gets the message.
    /// Best effort: an unreachable relay leaves the sessions as they are.
    /// </summary>
    private async Task<bool> RefreshDevicesAsync(Contact contact, CancellationToken ct, int except = 0)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_deviceRefreshes)
        {
            if (_deviceRefreshes.TryGetValue(contact.Account, out DateTimeOffset last) && now - last < DeviceRefreshInterval)
            {
                return true;
            }
        }
        List<int> current;
        try
        {
            current = [.. (await Relay().GetAccountDevicesAsync(contact.Account, ct).ConfigureAwait(false)).Devices.Where(d => d != except)];
        }
        catch (RelayUnreachableException)
        {
            // Counts as a failed delivery: the send then just queues, so that it still answers in time.
            _lastFlushFailure = _time.GetUtcNow();
            return false;
        }
        catch (RelayProblemException)
        {
            return true;
        }
        lock (_deviceRefreshes)
        {
            _deviceRefreshes[contact.Account] = now;
        }
        if (current.Count == 0 && except == 0)
        {
            return true;
        }
        List<int> known;
        lock (_gate)
        {
            known = _store.Query("SELECT device FROM sessions WHERE name = $a", r => (int)r.GetInt64(0), ("$a", contact.Account));
            List<int> removed = known.Except(current).ToList();
            if (removed.Count > 0)
            {
                _store.Transaction(() =>
                {
                    foreach (int gone in removed)
                    {
                        _store.Execute("DELETE FROM sessions WHERE name = $a AND device = $d", ("$a", contact.Account), ("$d", gone));
                    }
                    RotateForRemovedDevicesLocked(contact.Account, removed);
                });
            }
        }
        foreach (int device in current.Except(known))
        {
            BundleResponse bundle;
            try
            {
                bundle = await Relay().GetDeviceBundleAsync(contact.Account, device, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
            {
                continue;
            }
            lock (_gate)
            {
                if (!IsTrustedKey(contact, bundle.IdentityKey))
                {
                    continue; // an identity change is handled by the send itself
                }
                foreach (DeviceKeysDto keys in bundle.Devices)
                {
                    try
                    {
                        _store.Transaction(() => _crypto.ProcessBundle(contact.Account, bundle.IdentityKey, keys));
                    }
                    catch (CryptoFailure)
                    {
                        OnNotice($"The relay served unusable keys for a device of \"{contact.Alias}\"; it is skipped.");
                    }
                }
            }
        }
        return true;
    }

    /// <summary>Sessions with this account's other devices, so that what we send shows on them too.</summary>
    private Task<bool> RefreshOwnDevicesAsync(CancellationToken ct)
    {
        AccountInfo me = Account;
        var self = new Contact(me.Account, me.Name, Convert.FromBase64String(me.IdentityKey), true, null);
        return RefreshDevicesAsync(self, ct, except: me.Device);
    }

    /// <summary>Encrypts a sent transcript of <paramref name="sent"/> for each of our other devices we have a session with.</summary>
    private void EnqueueTranscriptLocked(string to, Envelope sent)
    {
        AccountInfo me = Account;
        List<int> devices = _store.Query("SELECT device FROM sessions WHERE name = $a AND device <> $d ORDER BY device",
            r => (int)r.GetInt64(0), ("$a", me.Account), ("$d", me.Device));
        if (devices.Count == 0)
        {
            return;
        }
        var transcript = new Envelope
        {
            Id = sent.Id, Kind = Envelope.KindTranscript, Text = sent.Text, Topic = sent.Topic, SentAt = sent.SentAt, To = to,
        };
        byte[] plaintext = transcript.ToPaddedBytes();
        foreach (int device in devices)
        {
            (int type, byte[] body) = _crypto.Encrypt(me.Account, device, plaintext);
            _store.Execute(
                "INSERT INTO outbox(id, device, to_account, type, content, created_at) VALUES($id, $d, $to, $type, $c, $t)",
                ("$id", NewId()), ("$d", device), ("$to", me.Account), ("$type", type), ("$c", body), ("$t", Now()));
        }
        CryptographicOperations.ZeroMemory(plaintext);
    }

    /// <summary>A text one of our other devices sent: stored as outgoing, to the contact it went to.</summary>
    private ChatMessage? StoreTranscriptLocked(Envelope transcript)
    {
        string to = transcript.To!.ToLowerInvariant();
        if (FindContactByAccount(to) is not { } contact)
        {
            OnNotice("Dropped a sent transcript for an account that is not a contact here.");
            return null;
        }
        string? topic = NormaliseTopicOrNull(transcript.Topic);
        int added = _store.Execute(
            "INSERT OR IGNORE INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
            "VALUES($id, $a, 'out', $topic, $text, $sent, $now, $s)",
            ("$id", transcript.Id), ("$a", to), ("$topic", _store.SealText(TopicPlace, topic)), ("$text", _store.SealText(TextPlace, transcript.Text)),
            ("$sent", transcript.SentAt), ("$now", Now()), ("$s", MessageStatus.Sent));
        return added == 1
            ? new ChatMessage(transcript.Id, to, contact.Alias, Account.Name, topic,
                DateTimeOffset.FromUnixTimeMilliseconds(transcript.SentAt), transcript.Text!, "out", MessageStatus.Sent)
            : null;
    }

    internal static (Uri Relay, string Id, ECPublicKey Key) ParseLinkCode(string code)
    {
        string s = (code ?? "").Trim();
        if (s.StartsWith(LinkCodePrefix, StringComparison.Ordinal) && s.Length <= MaxLinkCodeLength)
        {
            try
            {
                LinkCodeWire? w = JsonSerializer.Deserialize<LinkCodeWire>(Base64Url.DecodeFromChars(s.AsSpan(LinkCodePrefix.Length)), ProvisioningJson);
                if (w is { Relay: not null, Id: not null, Key: not null }
                    && Uri.TryCreate(w.Relay, UriKind.Absolute, out Uri? relay) && (relay.Scheme == "http" || relay.Scheme == "https")
                    && Guid.TryParse(w.Id, out _))
                {
                    return (relay, w.Id, ECPublicKey.Deserialize(Convert.FromBase64String(w.Key)));
                }
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidKeyException)
            {
            }
        }
        throw new BackchannelException(ErrorKinds.BadRequest, "That is not a link code (it starts with bcl1.).");
    }

    private static byte[] ProvisioningKey(byte[] secret, byte[] ephemeralPublic, byte[] recipientPublic)
    {
        byte[] salt = [.. ephemeralPublic, .. recipientPublic];
        byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt, ProvisioningInfo);
        CryptographicOperations.ZeroMemory(secret);
        return key;
    }

    /// <summary>ephemeral public key (33) ‖ nonce (12) ‖ ciphertext ‖ tag (16); the mailbox id is the associated data.</summary>
    private static byte[] SealProvisioning(string id, ECPublicKey recipient, ProvisioningPayload payload)
    {
        using ECKeyPair ephemeral = ECKeyPair.Generate();
        byte[] ephemeralPublic = ephemeral.PublicKey.Serialize();
        byte[] key = ProvisioningKey(ephemeral.PrivateKey.CalculateAgreement(recipient), ephemeralPublic, recipient.Serialize());
        byte[] plaintext = JsonSerializer.SerializeToUtf8Bytes(payload, ProvisioningJson);
        byte[] output = new byte[33 + 12 + plaintext.Length + 16];
        ephemeralPublic.CopyTo(output, 0);
        RandomNumberGenerator.Fill(output.AsSpan(33, 12));
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(output.AsSpan(33, 12), plaintext, output.AsSpan(45, plaintext.Length), output.AsSpan(45 + plaintext.Length, 16),
                Encoding.UTF8.GetBytes(id));
        }
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(plaintext);
        return output;
    }

    private static ProvisioningPayload OpenProvisioning(PendingLink link, byte[] message)
    {
        try
        {
            if (message.Length < 33 + 12 + 16)
            {
                throw new FormatException("too short");
            }
            byte[] ephemeralPublic = message[..33];
            byte[] key = ProvisioningKey(link.Key.PrivateKey.CalculateAgreement(ECPublicKey.Deserialize(ephemeralPublic)),
                ephemeralPublic, link.Key.PublicKey.Serialize());
            int length = message.Length - 33 - 12 - 16;
            byte[] plaintext = new byte[length];
            using (var aes = new AesGcm(key, 16))
            {
                aes.Decrypt(message.AsSpan(33, 12), message.AsSpan(45, length), message.AsSpan(45 + length, 16), plaintext,
                    Encoding.UTF8.GetBytes(link.Id));
            }
            CryptographicOperations.ZeroMemory(key);
            ProvisioningPayload? payload;
            try
            {
                payload = JsonSerializer.Deserialize<ProvisioningPayload>(plaintext, ProvisioningJson);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext); // it holds the identity private key
            }
            if (payload is null || !Guid.TryParse(payload.Account, out _) || string.IsNullOrEmpty(payload.LinkToken)
                || payload.IdentityKeyPair is null || payload.Name is null)
            {
                throw new FormatException("incomplete");
            }
            return payload with { Contacts = payload.Contacts ?? [] };
        }
        catch (Exception e) when (e is FormatException or JsonException or CryptographicException or InvalidKeyException or ArgumentException)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The approval could not be decrypted or read; link again.", e);
        }
    }
}
