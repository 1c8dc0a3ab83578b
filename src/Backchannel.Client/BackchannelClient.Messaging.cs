using System.Security.Cryptography;
using System.Text;
using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;

namespace Backchannel.Client;

// Sending through the outbox, receiving with decrypt-store-then-acknowledge, and history.
public sealed partial class BackchannelClient
{
    /// <summary>Page size when draining the mailbox over HTTP.</summary>
    private const int FetchLimit = 100;

    /// <summary>The relay accepts at most 100 messages per send request.</summary>
    private const int SendBatch = 100;

    private const int MaxTextBytes = 48 * 1024;

    /// <summary>The relay takes at most 64 KiB of content; leave room for the Signal message framing.</summary>
    private const int MaxEnvelopeBytes = 60 * 1024;

    private const int MaxTopicLength = 64;

    /// <summary>Relay message ids are kept a little longer than the relay keeps messages (30 days).</summary>
    private static readonly TimeSpan ReceivedRetention = TimeSpan.FromDays(31);

    /// <summary>How long sends only queue after the relay could not be reached.</summary>
    private static readonly TimeSpan FlushRetryPause = TimeSpan.FromSeconds(10);

    private DateTimeOffset _lastFlushFailure = DateTimeOffset.MinValue;

    /// <summary>
    /// Encrypts <paramref name="text"/> for <paramref name="alias"/>, stores it in the outbox and history in one
    /// transaction, then tries to deliver the outbox. An unreachable relay is not an error: status <c>queued</c>.
    /// </summary>
    public async Task<SendResult> SendAsync(string alias, string text, string? topic = null, CancellationToken ct = default)
    {
        _ = Account;
        Contact contact = RequireContact(alias);
        if (string.IsNullOrEmpty(text))
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "Nothing to send: the text is empty.");
        }
        if (Encoding.UTF8.GetByteCount(text) > MaxTextBytes)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"The text is longer than {MaxTextBytes / 1024} KiB.");
        }
        topic = NormaliseTopic(topic);
        if (contact.IdentityChanged)
        {
            throw IdentityChangedError(contact.Alias);
        }
        // Current devices of the contact and of our own account (one small request each, skipped right after a
        // failed delivery so that an unreachable relay still only costs one timeout).
        if (_time.GetUtcNow() - _lastFlushFailure > FlushRetryPause && await RefreshDevicesAsync(contact, ct).ConfigureAwait(false))
        {
            await RefreshOwnDevicesAsync(ct).ConfigureAwait(false);
        }
        var envelope = new Envelope { Id = NewId(), Kind = Envelope.KindText, Text = text, Topic = topic, SentAt = Now() };
        if (envelope.ToPaddedBytes().Length > MaxEnvelopeBytes)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The message is too long for one ciphertext; split it.");
        }
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                lock (_gate)
                {
                    _store.Transaction(() =>
                    {
                        EnqueueLocked(contact.Account, envelope);
                        EnqueueTranscriptLocked(contact.Account, envelope);
                        _store.Execute(
                            "INSERT INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
                            "VALUES($id, $a, 'out', $topic, $text, $sent, $sent, $s)",
                            ("$id", envelope.Id), ("$a", contact.Account), ("$topic", _store.SealText(TopicPlace, topic)), ("$text", _store.SealText(TextPlace, text)),
                            ("$sent", envelope.SentAt), ("$s", MessageStatus.Queued));
                    });
                }
                break;
            }
            catch (CryptoFailure f) when (f.Kind == CryptoFailureKind.UntrustedIdentity && attempt == 0)
            {
                if (!await ResolveIdentityChangeAsync(contact, ct).ConfigureAwait(false))
                {
                    throw IdentityChangedError(contact.Alias);
                }
            }
            catch (CryptoFailure f)
            {
                throw new BackchannelException(
                    f.Kind == CryptoFailureKind.UntrustedIdentity ? ErrorKinds.IdentityChanged : ErrorKinds.NoSession,
                    $"Cannot encrypt for \"{contact.Alias}\" ({f.Message}). If this persists, exchange a new invite.", f);
            }
        }
        // After a failed delivery a moment ago (a burst of sends to a dead relay), just queue: each attempt could
        // cost a full request timeout, and `send` must answer within 60 s.
        if (_time.GetUtcNow() - _lastFlushFailure > FlushRetryPause)
        {
            await FlushOutboxAsync(ct).ConfigureAwait(false);
        }
        lock (_gate)
        {
            string status = (string)_store.Scalar("SELECT status FROM messages WHERE id = $id", ("$id", envelope.Id))!;
            return new SendResult(envelope.Id, status);
        }
    }

    /// <summary>
    /// Delivers the outbox, oldest first. Returns false when the relay could not be reached (what is left
    /// stays queued for the next send, sync or watch).
    /// </summary>
    public async Task<bool> FlushOutboxAsync(CancellationToken ct = default)
    {
        RelayClient relay = Relay();
        long after = 0;
        while (true)
        {
            List<(long Seq, OutgoingMessageDto Message)> batch;
            lock (_gate)
            {
                batch = _store.Query(
                    "SELECT seq, id, to_account, device, type, content FROM outbox WHERE seq > $after ORDER BY seq LIMIT $n",
                    r => (r.GetInt64(0), new OutgoingMessageDto(r.GetString(1), r.GetString(2), (int)r.GetInt64(3), (int)r.GetInt64(4), (byte[])r[5])),
                    ("$after", after), ("$n", SendBatch));
            }
            if (batch.Count == 0)
            {
                return true;
            }
            after = batch[^1].Seq;
            List<(long Seq, OutgoingMessageDto Message)>? unsealed = await SendSealedAsync(relay, batch, ct).ConfigureAwait(false);
            if (unsealed is null)
            {
                return false;
            }
            batch = unsealed;
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await relay.SendMessagesAsync(batch.Select(b => b.Message).ToList(), ct).ConfigureAwait(false);
                MarkDelivered(batch.Select(b => b.Seq).ToList(), failed: false);
            }
            catch (RelayUnreachableException)
            {
                _lastFlushFailure = _time.GetUtcNow();
                return false;
            }
            catch (RelayProblemException e) when (e.Status == System.Net.HttpStatusCode.TooManyRequests)
            {
                OnNotice($"The relay is rate-limiting sends ({e.Message}); the outbox stays queued.");
                return false;
            }
            catch (RelayProblemException)
            {
                // Nothing of the batch was stored: find the message(s) the relay refuses (recipient gone, too
                // large), one at a time, so one bad message cannot block the queue behind it.
                foreach ((long seq, OutgoingMessageDto m) in batch)
                {
                    try
                    {
                        await relay.SendMessagesAsync([m], ct).ConfigureAwait(false);
                        MarkDelivered([seq], failed: false);
                    }
                    catch (RelayUnreachableException)
                    {
                        _lastFlushFailure = _time.GetUtcNow();
                        return false;
                    }
                    catch (RelayProblemException single) when (single.Status == System.Net.HttpStatusCode.TooManyRequests)
                    {
                        return false;
                    }
                    catch (RelayProblemException single)
                    {
                        if (single.Status == System.Net.HttpStatusCode.NotFound
                            && await ForgetRemovedDeviceAsync(m.To, m.Device, ct).ConfigureAwait(false))
                        {
                            MarkDelivered([seq], failed: false); // that device is gone: there is nothing to deliver to
                            continue;
                        }
                        MarkDelivered([seq], failed: true);
                        OnNotice($"A message could not be delivered and is marked failed: {single.Message}");
                    }
                }
            }
        }
    }

    private void MarkDelivered(List<long> seqs, bool failed)
    {
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                foreach (long seq in seqs)
                {
                    string? outboxId = _store.Scalar("SELECT id FROM outbox WHERE seq = $s", ("$s", seq)) as string;
                    _store.Execute("DELETE FROM outbox WHERE seq = $s", ("$s", seq));
                    if (outboxId is null)
                    {
                        continue;
                    }
                    // A channel message goes out as one outbox row per member device, each under its own id.
                    string id = _store.Scalar("SELECT message_id FROM outbox_links WHERE outbox_id = $o", ("$o", outboxId)) as string ?? outboxId;
                    if (id != outboxId)
                    {
                        _store.Execute("DELETE FROM outbox_links WHERE outbox_id = $o", ("$o", outboxId));
                    }
                    if (failed)
                    {
                        _store.Execute("UPDATE messages SET status = $st WHERE id = $id", ("$st", MessageStatus.Failed), ("$id", id));
                    }
                    else if (_store.Scalar("SELECT 1 FROM outbox WHERE id = $id", ("$id", id)) is null
                        && _store.Scalar("SELECT 1 FROM outbox_links WHERE message_id = $id", ("$id", id)) is null)
                    {
                        _store.Execute("UPDATE messages SET status = $st WHERE id = $id AND status = $q",
                            ("$st", MessageStatus.Sent), ("$id", id), ("$q", MessageStatus.Queued));
                    }
                }
            });
        }
    }

    /// <summary>
    /// Delivers the outbox, then drains the mailbox page by page: decrypt, store, commit, and only then
    /// acknowledge. With <paramref name="wait"/> &gt; 0 and nothing new, listens on the WebSocket up to that long.
    /// Returns the new messages, oldest first.
    /// </summary>
    public async Task<IReadOnlyList<ChatMessage>> SyncAsync(TimeSpan wait = default, CancellationToken ct = default)
    {
        _ = Account;
        RelayClient relay = Relay();
        // If the relay is down, the fetch below says so; a refused batch (rate limit) just stays queued.
        await FlushOutboxAsync(ct).ConfigureAwait(false);
        var shown = new List<ChatMessage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                FetchResponse page = await relay.FetchAsync(FetchLimit, ct).ConfigureAwait(false);
                List<IncomingMessageDto> fresh = page.Messages.Where(m => seen.Add(m.Id)).ToList();
                if (fresh.Count == 0)
                {
                    break;
                }
                var acks = new List<string>();
                foreach (IncomingMessageDto m in fresh)
                {
                    (bool ack, ChatMessage? message) = await ProcessIncomingAsync(m, ct).ConfigureAwait(false);
                    if (ack)
                    {
                        acks.Add(m.Id);
                    }
                    if (message is not null)
                    {
                        shown.Add(message);
                    }
                }
                if (acks.Count > 0)
                {
                    try
                    {
                        await relay.AckAsync(acks, ct).ConfigureAwait(false);
                    }
                    catch (RelayUnreachableException e)
                    {
                        // Stored already; the relay offers them again and the received-ids table skips them.
                        OnNotice($"Could not acknowledge to the relay ({e.Message}); the next sync will.");
                        return shown;
                    }
                }
                if (!page.More && page.Messages.Count < FetchLimit && acks.Count == fresh.Count)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            throw Translate(e);
        }
        await ReconcileIfDirtyAsync(ct).ConfigureAwait(false);
        await ResumeHistoryCopyAsync(ct).ConfigureAwait(false);
        await RefillPreKeysAsync(ct).ConfigureAwait(false);
        if (shown.Count == 0 && wait > TimeSpan.Zero)
        {
            shown.AddRange(await WaitForMessagesAsync(wait, ct).ConfigureAwait(false));
        }
        return shown;
    }

    /// <summary>
    /// Decrypts one relay message inside a transaction and keeps it only if it is a message we should show or
    /// a valid introduction. Returns whether to acknowledge it (false only when a changed identity blocks it:
    /// it stays on the relay until the person re-verifies) and the message to show, if any.
    /// </summary>
    internal async Task<(bool Ack, ChatMessage? Message)> ProcessIncomingAsync(IncomingMessageDto m, CancellationToken ct)
    {
        byte[]? trustRoot = null;
        if (m.Sealed)
        {
            trustRoot = await TrustRootAsync(ct).ConfigureAwait(false);
            if (trustRoot is null)
            {
                // Without the trust root the sender cannot be checked: leave it on the relay for the next sync.
                OnNotice("A sealed message waits until the relay's trust root can be fetched.");
                return (false, null);
            }
        }
        else if (m.Source is null || !Guid.TryParse(m.Source, out _))
        {
            OnNotice("Dropped a message without a sender this client can read.");
            return (true, null);
        }
        string source = m.Sealed ? "" : m.Source!.ToLowerInvariant();
        int device = m.SourceDevice ?? 1;
        bool group = m.Type == SenderKeyMessageType;
        ChatMessage? shown = null;
        bool identityProblem = false;
        Contact? contact;
        lock (_gate)
        {
            if (_store.Scalar("SELECT 1 FROM received WHERE relay_id = $r", ("$r", m.Id)) is not null)
            {
                return (true, null);
            }
            contact = m.Sealed ? null : FindContactByAccount(source);
            Contact? known = contact;
            _store.TryTransaction(() =>
            {
                byte[] plaintext;
                try
                {
                    if (m.Sealed)
                    {
                        // The sender is known only from the certificate inside, checked against the trust root.
                        (string sender, int senderDevice, int type, byte[] opened) = _crypto.Unseal(trustRoot!, m.ServerTimestamp, m.Content);
                        source = sender.ToLowerInvariant();
                        device = senderDevice;
                        group = type == SenderKeyMessageType;
                        plaintext = opened;
                        known = FindContactByAccount(source);
                        if (group && known is null)
                        {
                            OnNotice("Dropped a channel message from an account that is not a contact.");
                            return false;
                        }
                    }
                    else if (group)
                    {
                        if (known is null)
                        {
                            OnNotice("Dropped a channel message from an account that is not a contact.");
                            return false;
                        }
                        plaintext = _crypto.GroupDecrypt(source, device, m.Content);
                    }
                    else
                    {
                        plaintext = _crypto.Decrypt(source, device, m.Type, m.Content);
                    }
                }
                catch (CryptoFailure f) when (f.Kind == CryptoFailureKind.UntrustedIdentity && known is not null && !m.Sealed)
                {
                    identityProblem = true;
                    return false;
                }
                catch (CryptoFailure f) when (f.Kind == CryptoFailureKind.UntrustedIdentity && m.Sealed
                    && f.Account is { } who && FindContactByAccount(who.ToLowerInvariant()) is { } sealedSender)
                {
                    // Handled as for an unsealed message from that contact: held until re-verified, unless a forgery.
                    contact = sealedSender;
                    identityProblem = true;
                    return false;
                }
                catch (CryptoFailure f)
                {
                    OnNotice(known is null
                        ? "Dropped a message from an unknown account that could not be decrypted."
                        : $"Dropped a message from \"{known.Alias}\" that could not be decrypted ({f.Kind}).");
                    return false;
                }
                Envelope? envelope = Envelope.TryParse(plaintext);
                CryptographicOperations.ZeroMemory(plaintext);
                if (envelope is null)
                {
                    OnNotice("Dropped a message in a format this client does not understand.");
                    return false;
                }
                if (group)
                {
                    shown = StoreChannelTextLocked(known!, envelope);
                    MarkReceived(m.Id);
                    return true;
                }
                if (envelope.Kind is Envelope.KindTranscript or Envelope.KindHistory || source == Account.Account)
                {
                    // Only our own other devices may tell us what we sent, copy history or change our channels.
                    if (source != Account.Account)
                    {
                        OnNotice("Dropped a transcript or history page that did not come from this account's own device.");
                        return false;
                    }
                    if (!ApplyFromOwnDeviceLocked(envelope, out shown))
                    {
                        return false;
                    }
                    MarkReceived(m.Id);
                    return true;
                }
                if (known is null && envelope.Kind != Envelope.KindIntro)
                {
                    // Not an introduction: perhaps a fellow member of a channel we share, vouched for by its creator.
                    known = AcceptChannelStrangerLocked(source, device);
                    if (known is null)
                    {
                        OnNotice("Dropped a message from an account that holds no valid invite of ours.");
                        return false;
                    }
                }
                if (known is null)
                {
                    if (!BurnInvite(envelope.Secret!))
                    {
                        OnNotice("Dropped a message from an account that holds no valid invite of ours.");
                        return false;
                    }
                    string alias = UniqueAlias(envelope.Name!);
                    byte[] key = _crypto.GetIdentity(source, device)
                        ?? throw new InvalidOperationException("The protocol saved no identity for a new session.");
                    _store.Execute(
                        "INSERT INTO contacts(account, alias, identity_key, verified, created_at) VALUES($a, $n, $k, 0, $t)",
                        ("$a", source), ("$n", alias), ("$k", key), ("$t", Now()));
                    if (envelope.AccessKey is { Length: AccessKeyLength } accessKey)
                    {
                        SaveAccessKeyLocked(source, accessKey);
                    }
                    MarkReceived(m.Id);
                    OnNotice($"\"{alias}\" accepted your invite and is now a contact.");
                    return true;
                }
                if (envelope.Kind == Envelope.KindChannel)
                {
                    if (!ApplyChannelUpdateLocked(source, envelope))
                    {
                        return false;
                    }
                }
                else if (envelope.Kind == Envelope.KindSenderKey)
                {
                    if (!ApplySenderKeyLocked(source, device, envelope))
                    {
                        return false;
                    }
                }
                else if (envelope.Kind == Envelope.KindText && envelope.Channel is not null)
                {
                    OnNotice("Dropped a channel message that did not come under a sender key.");
                    return false;
                }
                else if (envelope.Kind == Envelope.KindText)
                {
                    int added = _store.Execute(
                        "INSERT OR IGNORE INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
                        "VALUES($id, $a, 'in', $topic, $text, $sent, $now, $s)",
                        ("$id", envelope.Id), ("$a", source), ("$topic", _store.SealText(TopicPlace, NormaliseTopicOrNull(envelope.Topic))),
                        ("$text", _store.SealText(TextPlace, envelope.Text)), ("$sent", envelope.SentAt), ("$now", Now()), ("$s", MessageStatus.Received));
                    if (added == 1)
                    {
                        shown = new ChatMessage(envelope.Id, source, known.Alias, known.Alias, NormaliseTopicOrNull(envelope.Topic),
                            DateTimeOffset.FromUnixTimeMilliseconds(envelope.SentAt), envelope.Text!, "in", MessageStatus.Received);
                    }
                }
                MarkReceived(m.Id);
                return true;
            });
        }
        if (identityProblem)
        {
            return (await HandleUntrustedIncomingAsync(contact!, ct).ConfigureAwait(false), null);
        }
        return (true, shown);
    }

    /// <summary>
    /// After the protocol refused a contact's identity on sending: asks the relay for the contact's current key.
    /// If it is the key we already trust, our session is merely stale and is rebuilt (returns true); otherwise
    /// the contact is marked changed (sending blocked until <c>verify --confirm</c>) and this returns false.
    /// </summary>
    private async Task<bool> ResolveIdentityChangeAsync(Contact contact, CancellationToken ct)
    {
        BundleResponse? bundle = await TryFetchBundleAsync(contact.Account, ct).ConfigureAwait(false);
        lock (_gate)
        {
            if (bundle is not null && IsTrustedKey(contact, bundle.IdentityKey))
            {
                try
                {
                    _store.Transaction(() =>
                    {
                        foreach (DeviceKeysDto device in bundle.Devices)
                        {
                            _crypto.ProcessBundle(contact.Account, bundle.IdentityKey, device);
                        }
                    });
                    return true;
                }
                catch (CryptoFailure)
                {
                    return false;
                }
            }
            MarkIdentityChanged(contact, bundle?.IdentityKey);
            return false;
        }
    }

    /// <summary>
    /// A message from a contact carried an identity key we do not trust. If the relay still serves the key we
    /// trust, the message is a forgery: drop it (returns true, acknowledge). Otherwise the contact's identity
    /// really changed: mark it, keep the message on the relay until the person re-verifies (returns false).
    /// </summary>
    private async Task<bool> HandleUntrustedIncomingAsync(Contact contact, CancellationToken ct)
    {
        BundleResponse? bundle = await TryFetchBundleAsync(contact.Account, ct).ConfigureAwait(false);
        lock (_gate)
        {
            if (bundle is not null && IsTrustedKey(contact, bundle.IdentityKey))
            {
                OnNotice($"Dropped a message claiming to be from \"{contact.Alias}\" under an identity key that is not theirs.");
                return true;
            }
            MarkIdentityChanged(contact, bundle?.IdentityKey);
        }
        OnNotice($"WARNING: the identity key of \"{contact.Alias}\" has changed. Their messages are held and sending " +
            $"to them is blocked until you compare safety numbers: `backchannel verify {contact.Alias}`, then `--confirm`.");
        return false;
    }

    private async Task<BundleResponse?> TryFetchBundleAsync(string account, CancellationToken ct)
    {
        try
        {
            return await Relay().GetBundleAsync(account, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            return null; // the new key stays unknown for now; verify fetches it
        }
    }

    private bool IsTrustedKey(Contact contact, byte[] key)
    {
        byte[] trusted = _crypto.GetIdentity(contact.Account, 1) ?? contact.IdentityKey;
        return key.AsSpan().SequenceEqual(trusted);
    }

    private void MarkIdentityChanged(Contact contact, byte[]? newKey) =>
        _store.Execute("UPDATE contacts SET changed_key = $k, verified = 0 WHERE account = $a",
            ("$k", newKey ?? []), ("$a", contact.Account));

    /// <summary>Where message text and topics are sealed in the store (the associated data of their encryption).</summary>
    private const string TextPlace = "messages.text";

    private const string TopicPlace = "messages.topic";

    /// <summary>Local history, newest <paramref name="limit"/> returned oldest first.</summary>
    public IReadOnlyList<ChatMessage> Read(string? alias = null, string? topic = null, int limit = 50)
    {
        AccountInfo me = Account;
        string? account = alias is null ? null : RequireContact(alias).Account;
        topic = NormaliseTopic(topic);
        if (limit < 1)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "--limit must be at least 1.");
        }
        lock (_gate)
        {
            // Topics are sealed, so the topic filter runs here, on the opened rows, newest first.
            List<ChatMessage> rows = _store.QueryFirst(limit,
                "SELECT m.id, m.account, COALESCE(c.alias, m.account), m.topic, m.sent_at, m.text, m.direction, m.status " +
                "FROM messages m LEFT JOIN contacts c ON c.account = m.account " +
                "WHERE ($a IS NULL OR m.account = $a) " +
                "AND m.id NOT IN (SELECT id FROM channel_messages) ORDER BY m.seq DESC LIMIT $n",
                r =>
                {
                    string? rowTopic = _store.UnsealText(TopicPlace, r.GetValue(3));
                    if (topic is not null && rowTopic != topic)
                    {
                        return null;
                    }
                    string direction = r.GetString(6);
                    string contactAlias = r.GetString(2);
                    return new ChatMessage(r.GetString(0), r.GetString(1), contactAlias, direction == "out" ? me.Name : contactAlias,
                        rowTopic, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
                        _store.UnsealText(TextPlace, r.GetValue(5))!, direction, r.GetString(7));
                },
                ("$a", account), ("$n", topic is null ? limit : -1));
            rows.Reverse();
            return rows;
        }
    }

    /// <summary>Encrypts <paramref name="envelope"/> for every device of <paramref name="account"/> we have a session with and delivers it (tests: hostile peers).</summary>
    internal async Task SendEnvelopeAsync(string account, Envelope envelope, CancellationToken ct = default)
    {
        lock (_gate)
        {
            _store.Transaction(() => EnqueueLocked(account, envelope));
        }
        await FlushOutboxAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Whether a protocol session with that account exists (tests).</summary>
    internal bool HasSessionWith(string account)
    {
        lock (_gate)
        {
            return _store.Scalar("SELECT 1 FROM sessions WHERE name = $a", ("$a", account)) is not null;
        }
    }

    /// <summary>How many messages the relay holds for this device, without processing them (tests, diagnostics).</summary>
    internal async Task<int> PendingOnRelayAsync(CancellationToken ct = default)
    {
        FetchResponse page = await Relay().FetchAsync(500, ct).ConfigureAwait(false);
        return page.Messages.Count;
    }

    /// <summary>The messages the relay holds for this device, without processing or acknowledging them (tests).</summary>
    internal async Task<IReadOnlyList<IncomingMessageDto>> PeekRelayAsync(CancellationToken ct = default) =>
        (await Relay().FetchAsync(500, ct).ConfigureAwait(false)).Messages;

    /// <summary>
    /// Tries <c>GroupCipher.Decrypt</c> of a SenderKeyMessage with this device's sender keys and stores nothing
    /// (tests: a removed member must not be able to read). Null when decryption fails.
    /// </summary>
    internal byte[]? TryGroupDecrypt(string sender, int device, byte[] ciphertext)
    {
        lock (_gate)
        {
            byte[]? plaintext = null;
            _store.TryTransaction(() =>
            {
                try
                {
                    plaintext = _crypto.GroupDecrypt(sender, device, ciphertext);
                }
                catch (CryptoFailure)
                {
                    plaintext = null;
                }
                return false;
            });
            return plaintext;
        }
    }

    /// <summary>
    /// The relay messages waiting for this device that <paramref name="sender"/> sent as sender-key (channel) messages,
    /// unsealing the sealed ones with our identity, as (relay message, inner SenderKeyMessage); nothing is stored (tests).
    /// </summary>
    internal async Task<IReadOnlyList<(IncomingMessageDto Message, byte[] SenderKeyMessage)>> PeekChannelMessagesFromAsync(string sender, CancellationToken ct = default)
    {
        var found = new List<(IncomingMessageDto, byte[])>();
        foreach (IncomingMessageDto m in await PeekRelayAsync(ct).ConfigureAwait(false))
        {
            if (!m.Sealed)
            {
                if (m.Type == SenderKeyMessageType && m.Source == sender)
                {
                    found.Add((m, m.Content));
                }
                continue;
            }
            lock (_gate)
            {
                Backchannel.Protocol.SealedSenderContent inner = _crypto.OpenSealedLayer(m.Content);
                if (inner.CiphertextType == SenderKeyMessageType && inner.SenderUuid == sender)
                {
                    found.Add((m, inner.Content));
                }
            }
        }
        return found;
    }

    /// <summary>One-time prekeys the relay has left for this device (tests, diagnostics).</summary>
    internal async Task<(int PreKeys, int KyberPreKeys)> RelayKeyCountAsync(CancellationToken ct = default)
    {
        KeyCountResponse count = await Relay().GetKeyCountAsync(ct).ConfigureAwait(false);
        return (count.PreKeys, count.KyberPreKeys);
    }

    /// <summary>Fetches (and so consumes) one bundle of another account, as a session start would; returns its signed prekey id (tests).</summary>
    internal async Task<uint> FetchBundleOfAsync(string account, CancellationToken ct = default) =>
        (await FetchBundleAsync(account, ct).ConfigureAwait(false)).Devices[0].SignedPreKey.Id;

    /// <summary>Number of messages waiting in the outbox.</summary>
    public int OutboxCount()
    {
        lock (_gate)
        {
            return Convert.ToInt32(_store.Scalar(
                "SELECT COUNT(DISTINCT COALESCE(l.message_id, o.id)) FROM outbox o LEFT JOIN outbox_links l ON l.outbox_id = o.id"), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Tops up one-time prekeys on the relay when fewer than <see cref="PreKeyLowWater"/> are left.</summary>
    public async Task RefillPreKeysAsync(CancellationToken ct = default)
    {
        RelayClient relay = Relay();
        try
        {
            await RotateSignedPreKeyAsync(relay, ct).ConfigureAwait(false);
            KeyCountResponse count = await relay.GetKeyCountAsync(ct).ConfigureAwait(false);
            if (count.PreKeys >= PreKeyLowWater && count.KyberPreKeys >= PreKeyLowWater)
            {
                return;
            }
            UploadKeysRequest upload;
            lock (_gate)
            {
                upload = _store.Transaction(() =>
                {
                    List<PreKeyDto>? ec = null;
                    List<PreKeyDto>? kyber = null;
                    if (count.PreKeys < PreKeyLowWater)
                    {
                        uint next = (uint)(_store.GetMetaLong(Storage.MetaKeys.NextPreKeyId) ?? 1);
                        ec = _crypto.GeneratePreKeys(next, PreKeyBatch);
                        _store.SetMeta(Storage.MetaKeys.NextPreKeyId, next + PreKeyBatch);
                    }
                    if (count.KyberPreKeys < PreKeyLowWater)
                    {
                        uint next = (uint)(_store.GetMetaLong(Storage.MetaKeys.NextKyberPreKeyId) ?? 2);
                        kyber = [];
                        for (uint i = 0; i < PreKeyBatch; i++)
                        {
                            kyber.Add(_crypto.GenerateKyberPreKey(next + i, lastResort: false));
                        }
                        _store.SetMeta(Storage.MetaKeys.NextKyberPreKeyId, next + PreKeyBatch);
                    }
                    return new UploadKeysRequest(null, null, ec, kyber);
                });
            }
            await relay.UploadKeysAsync(upload, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            OnNotice($"Could not refill prekeys now ({e.Message}).");
        }
    }

    /// <summary>Replaces the signed prekey on the relay when it is older than <see cref="SignedPreKeyRotation"/>.</summary>
    private async Task RotateSignedPreKeyAsync(RelayClient relay, CancellationToken ct)
    {
        PreKeyDto? fresh = null;
        lock (_gate)
        {
            long created = _store.GetMetaLong(Storage.MetaKeys.SignedPreKeyCreatedAt) ?? 0;
            if (Now() - created >= (long)SignedPreKeyRotation.TotalMilliseconds)
            {
                uint next = (uint)(_store.GetMetaLong(Storage.MetaKeys.SignedPreKeyId) ?? 1) + 1;
                fresh = _store.Transaction(() => _crypto.GenerateSignedPreKey(next));
            }
        }
        if (fresh is null)
        {
            return;
        }
        await relay.UploadKeysAsync(new UploadKeysRequest(fresh, null, null, null), ct).ConfigureAwait(false);
        lock (_gate)
        {
            // Only once the relay has it: a failed upload is retried after the next sync.
            _store.Transaction(() =>
            {
                _store.SetMeta(Storage.MetaKeys.SignedPreKeyId, fresh.Id);
                _store.SetMeta(Storage.MetaKeys.SignedPreKeyCreatedAt, Now());
            });
        }
    }

    /// <summary>Encrypts <paramref name="envelope"/> for every known device of the account and queues it.</summary>
    private void EnqueueLocked(string account, Envelope envelope) =>
        EnqueueToDevicesLocked(account, SessionDevices(account), envelope);

    /// <summary>Encrypts <paramref name="envelope"/> for the given devices of the account (each with a session) and queues it.</summary>
    private void EnqueueToDevicesLocked(string account, List<int> devices, Envelope envelope, string? outboxId = null)
    {
        byte[] plaintext = envelope.ToPaddedBytes();
        if (devices.Count == 0)
        {
            throw new CryptoFailure(CryptoFailureKind.NoSession, "No session with that contact.", new InvalidOperationException());
        }
        foreach (int device in devices)
        {
            (int type, byte[] body) = _crypto.Encrypt(account, device, plaintext);
            _store.Execute(
                "INSERT INTO outbox(id, device, to_account, type, content, created_at) VALUES($id, $d, $to, $type, $c, $t)",
                ("$id", outboxId ?? envelope.Id), ("$d", device), ("$to", account), ("$type", type), ("$c", body), ("$t", Now()));
        }
        CryptographicOperations.ZeroMemory(plaintext);
    }

    private bool BurnInvite(string secret)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        return _store.Execute("DELETE FROM invites WHERE secret_hash = $h", ("$h", hash)) == 1;
    }

    private void MarkReceived(string relayId)
    {
        _store.Execute("INSERT OR IGNORE INTO received(relay_id, at) VALUES($r, $t)", ("$r", relayId), ("$t", Now()));
        _store.Execute("DELETE FROM received WHERE at < $old", ("$old", Now() - (long)ReceivedRetention.TotalMilliseconds));
    }

    private static string? NormaliseTopic(string? topic)
    {
        string? t = NormaliseTopicOrNull(topic);
        if (t is not null && (t.Length > MaxTopicLength || t.Any(char.IsControl)))
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"A topic is at most {MaxTopicLength} printable characters.");
        }
        return t;
    }

    private static string? NormaliseTopicOrNull(string? topic) => string.IsNullOrWhiteSpace(topic) ? null : topic.Trim();

    private static BackchannelException IdentityChangedError(string alias) =>
        new(ErrorKinds.IdentityChanged,
            $"The identity key of \"{alias}\" has changed, so sending to them is blocked. Compare the safety number " +
            $"with them over a channel you trust (`backchannel verify {alias}`), then accept it with `backchannel verify {alias} --confirm`.");
}
