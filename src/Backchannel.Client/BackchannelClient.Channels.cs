using System.Security.Cryptography;
using System.Text;
using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;

namespace Backchannel.Client;

// Channels: several principals, one sender key each. Control messages (the member list, sender keys) travel in
// pairwise envelopes; channel text is encrypted once with our sender key and sent to every member device (type 7).
public sealed partial class BackchannelClient
{
    /// <summary>The relay message type of a SenderKeyMessage (libsignal's CiphertextMessageType.SenderKey).</summary>
    internal const int SenderKeyMessageType = 7;

    /// <summary>Set when an incoming message changed a channel, so sessions and sender keys are brought up to date.</summary>
    private bool _channelsDirty;

    /// <summary>Creates a channel with us and the contacts <paramref name="aliases"/>, tells each of them, distributes our sender key.</summary>
    public async Task<ChannelInfo> CreateChannelAsync(string name, IReadOnlyList<string> aliases, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        name = ValidateName(name, "channel name");
        List<Contact> members = aliases.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(RequireContact).ToList();
        if (members.Count == 0)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "A channel needs at least one other member (--with ALIAS[,ALIAS…]).");
        }
        foreach (Contact c in members.Where(c => c.IdentityChanged))
        {
            throw IdentityChangedError(c.Alias);
        }
        string id = NewId();
        await RefreshMemberDevicesAsync(members.Select(c => c.Account), ct).ConfigureAwait(false);
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                if (FindChannelId(name) is not null)
                {
                    throw new BackchannelException(ErrorKinds.ChannelTaken, $"A channel called \"{name}\" already exists.");
                }
                _store.Execute("INSERT INTO channels(id, name, created_at) VALUES($id, $n, $t)", ("$id", id), ("$n", name), ("$t", Now()));
                InsertMember(id, me.Account, me.Name, Convert.FromBase64String(me.IdentityKey));
                foreach (Contact c in members)
                {
                    InsertMember(id, c.Account, c.Alias, c.IdentityKey);
                }
                AnnounceLocked(id, name, members.Select(c => c.Account));
            });
        }
        await ReconcileChannelsAsync(ct).ConfigureAwait(false);
        return ChannelById(id);
    }

    /// <summary>Adds the contact <paramref name="alias"/> to the channel and tells every member the new list.</summary>
    public async Task<ChannelInfo> AddChannelMemberAsync(string name, string alias, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        Contact contact = RequireContact(alias);
        if (contact.IdentityChanged)
        {
            throw IdentityChangedError(contact.Alias);
        }
        string id = RequireMemberChannel(name);
        await RefreshMemberDevicesAsync(MembersOf(id).Append(contact.Account), ct).ConfigureAwait(false);
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                if (MemberAccounts(id).Contains(contact.Account))
                {
                    throw new BackchannelException(ErrorKinds.BadRequest, $"\"{contact.Alias}\" is already a member of \"{name}\".");
                }
                InsertMember(id, contact.Account, contact.Alias, contact.IdentityKey);
                AnnounceLocked(id, ChannelName(id), MemberAccounts(id).Where(a => a != me.Account));
            });
        }
        await ReconcileChannelsAsync(ct).ConfigureAwait(false);
        return ChannelById(id);
    }

    /// <summary>
    /// Removes <paramref name="alias"/> from the channel, tells the remaining members (and the removed one that it
    /// was removed), and rotates our sender key; every remaining member rotates its own when it hears of it.
    /// </summary>
    public async Task<ChannelInfo> RemoveChannelMemberAsync(string name, string alias, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        Contact contact = RequireContact(alias);
        string id = RequireMemberChannel(name);
        await RefreshMemberDevicesAsync(MembersOf(id), ct).ConfigureAwait(false);
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                if (!MemberAccounts(id).Contains(contact.Account))
                {
                    throw new BackchannelException(ErrorKinds.BadRequest, $"\"{contact.Alias}\" is not a member of \"{name}\".");
                }
                _store.Execute("DELETE FROM channel_members WHERE channel = $c AND account = $a", ("$c", id), ("$a", contact.Account));
                AnnounceLocked(id, ChannelName(id), MemberAccounts(id).Where(a => a != me.Account).Append(contact.Account));
                RotateLocked(id, [contact.Account]);
            });
        }
        await ReconcileChannelsAsync(ct).ConfigureAwait(false);
        return ChannelById(id);
    }

    /// <summary>Every channel this device knows, by name.</summary>
    public IReadOnlyList<ChannelInfo> Channels()
    {
        _ = Account;
        lock (_gate)
        {
            return _store.Query("SELECT id FROM channels ORDER BY name COLLATE NOCASE", r => r.GetString(0)).Select(ChannelByIdLocked).ToList();
        }
    }

    /// <summary>Encrypts <paramref name="text"/> once with our sender key and queues it for every member device.</summary>
    public async Task<SendResult> SendToChannelAsync(string name, string text, string? topic = null, CancellationToken ct = default)
    {
        AccountInfo me = Account;
        if (string.IsNullOrEmpty(text))
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "Nothing to send: the text is empty.");
        }
        if (Encoding.UTF8.GetByteCount(text) > MaxTextBytes)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, $"The text is longer than {MaxTextBytes / 1024} KiB.");
        }
        topic = NormaliseTopic(topic);
        string id = RequireMemberChannel(name);
        // Every current device of every member (ours included) gets a session and our sender key first, ahead of
        // the text in the outbox.
        await RefreshMemberDevicesAsync(MembersOf(id), ct).ConfigureAwait(false);
        await ReconcileChannelsAsync(ct, flush: false).ConfigureAwait(false);
        var envelope = new Envelope { Id = NewId(), Kind = Envelope.KindText, Text = text, Topic = topic, SentAt = Now(), Channel = id };
        byte[] plaintext = envelope.ToPaddedBytes();
        if (plaintext.Length > MaxEnvelopeBytes)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The message is too long for one ciphertext; split it.");
        }
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                Guid distribution = Guid.Parse(id);
                _crypto.GroupDistribution(me.Account, me.Device, distribution); // makes our chain if a rotation dropped it
                byte[] body = _crypto.GroupEncrypt(me.Account, me.Device, distribution, plaintext);
                int rows = 0;
                foreach (string account in MemberAccounts(id).Where(a => a != me.Account))
                {
                    foreach (int device in SessionDevices(account).Where(d => KeySent(id, account, d)))
                    {
                        string outboxId = NewId();
                        _store.Execute(
                            "INSERT INTO outbox(id, device, to_account, type, content, created_at) VALUES($id, $d, $to, $type, $c, $t)",
                            ("$id", outboxId), ("$d", device), ("$to", account), ("$type", SenderKeyMessageType), ("$c", body), ("$t", Now()));
                        _store.Execute("INSERT INTO outbox_links(outbox_id, message_id) VALUES($o, $m)", ("$o", outboxId), ("$m", envelope.Id));
                        rows++;
                    }
                }
                _store.Execute(
                    "INSERT INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
                    "VALUES($id, $a, 'out', $topic, $text, $sent, $sent, $s)",
                    ("$id", envelope.Id), ("$a", me.Account), ("$topic", _store.SealText(TopicPlace, topic)), ("$text", _store.SealText(TextPlace, text)),
                    ("$sent", envelope.SentAt), ("$s", rows == 0 ? MessageStatus.Sent : MessageStatus.Queued));
                _store.Execute("INSERT INTO channel_messages(id, channel) VALUES($id, $c)", ("$id", envelope.Id), ("$c", id));
                EnqueueChannelTranscriptLocked(id, envelope);
            });
        }
        CryptographicOperations.ZeroMemory(plaintext);
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

    /// <summary>A channel's history, newest <paramref name="limit"/> returned oldest first.</summary>
    public IReadOnlyList<ChatMessage> ReadChannel(string name, string? topic = null, int limit = 50)
    {
        AccountInfo me = Account;
        topic = NormaliseTopic(topic);
        if (limit < 1)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "--limit must be at least 1.");
        }
        lock (_gate)
        {
            string id = FindChannelId(name) ?? throw UnknownChannel(name);
            string channelName = ChannelName(id);
            // Topics are sealed, so the topic filter runs here, on the opened rows, newest first.
            List<ChatMessage> rows = _store.QueryFirst(limit,
                "SELECT m.id, m.account, COALESCE(c.alias, m.account), m.topic, m.sent_at, m.text, m.direction, m.status " +
                "FROM messages m JOIN channel_messages cm ON cm.id = m.id LEFT JOIN contacts c ON c.account = m.account " +
                "WHERE cm.channel = $ch ORDER BY m.seq DESC LIMIT $n",
                r =>
                {
                    string? rowTopic = _store.UnsealText(TopicPlace, r.GetValue(3));
                    if (topic is not null && rowTopic != topic)
                    {
                        return null;
                    }
                    string direction = r.GetString(6);
                    string alias = direction == "out" ? me.Name : r.GetString(2);
                    return new ChatMessage(r.GetString(0), r.GetString(1), alias, alias,
                        rowTopic, DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
                        _store.UnsealText(TextPlace, r.GetValue(5))!, direction, r.GetString(7), channelName);
                },
                ("$ch", id), ("$n", topic is null ? limit : -1));
            rows.Reverse();
            return rows;
        }
    }

    /// <summary>
    /// Brings channels up to date: members we have no session with are fetched from the relay and accepted only
    /// under the identity key the channel vouched for (then they become contacts "via channel"); every member
    /// that lacks our current sender key gets it. Then delivers the outbox (unless <paramref name="flush"/> is false).
    /// </summary>
    internal async Task ReconcileChannelsAsync(CancellationToken ct = default, bool flush = true)
    {
        AccountInfo me = Account;
        _channelsDirty = false;
        List<(string Channel, string Account, string Name, byte[] Key)> strangers;
        lock (_gate)
        {
            strangers = _store.Query(
                "SELECT m.channel, m.account, m.name, m.identity_key FROM channel_members m " +
                "WHERE m.account <> $me AND m.account NOT IN (SELECT account FROM contacts) " +
                "AND m.channel IN (SELECT channel FROM channel_members WHERE account = $me)",
                r => (r.GetString(0), r.GetString(1), r.GetString(2), (byte[])r[3]), ("$me", me.Account));
        }
        foreach (var s in strangers.DistinctBy(s => s.Account))
        {
            BundleResponse? bundle = await TryFetchBundleAsync(s.Account, ct).ConfigureAwait(false);
            if (bundle is null || bundle.Devices.Count == 0)
            {
                continue; // try again on the next sync
            }
            if (!CryptographicOperations.FixedTimeEquals(bundle.IdentityKey, s.Key))
            {
                OnNotice($"Refused the relay's keys for channel member \"{s.Name}\": they differ from the identity the channel vouched for.");
                continue;
            }
            lock (_gate)
            {
                try
                {
                    _store.Transaction(() =>
                    {
                        if (FindContactByAccount(s.Account) is not null)
                        {
                            return;
                        }
                        foreach (DeviceKeysDto device in bundle.Devices)
                        {
                            _crypto.ProcessBundle(s.Account, bundle.IdentityKey, device);
                        }
                        AddChannelContactLocked(s.Account, s.Name, bundle.IdentityKey, s.Channel);
                    });
                }
                catch (CryptoFailure f)
                {
                    OnNotice($"Could not start a session with channel member \"{s.Name}\" ({f.Kind}).");
                }
            }
        }
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                List<(string Channel, string Account)> shared = _store.Query(
                    "SELECT m.channel, m.account FROM channel_members m " +
                    "WHERE m.account <> $me AND m.account IN (SELECT account FROM contacts WHERE changed_key IS NULL) " +
                    "AND m.channel IN (SELECT channel FROM channel_members WHERE account = $me)",
                    r => (r.GetString(0), r.GetString(1)), ("$me", me.Account));
                foreach ((string channel, string account) in shared)
                {
                    // Sender keys are per (account, device, channel): each device of a member gets ours once.
                    List<int> devices = SessionDevices(account).Where(d => !KeySent(channel, account, d)).ToList();
                    if (devices.Count == 0)
                    {
                        continue;
                    }
                    byte[] distribution = _crypto.GroupDistribution(me.Account, me.Device, Guid.Parse(channel));
                    try
                    {
                        EnqueueToDevicesLocked(account, devices, new Envelope
                        {
                            Id = NewId(), Kind = Envelope.KindSenderKey, SentAt = Now(), Channel = channel, Distribution = distribution,
                        });
                    }
                    catch (CryptoFailure f)
                    {
                        OnNotice($"Could not send our channel key to a member ({f.Kind}); sending to them is retried later.");
                        continue;
                    }
                    foreach (int device in devices)
                    {
                        _store.Execute("INSERT OR IGNORE INTO channel_key_devices(channel, account, device) VALUES($c, $a, $d)",
                            ("$c", channel), ("$a", account), ("$d", device));
                    }
                }
            });
        }
        if (flush)
        {
            await FlushOutboxAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reconciles after incoming messages changed a channel; a relay problem only postpones it.</summary>
    private async Task ReconcileIfDirtyAsync(CancellationToken ct)
    {
        if (!_channelsDirty)
        {
            return;
        }
        try
        {
            await ReconcileChannelsAsync(ct).ConfigureAwait(false);
        }
        catch (BackchannelException e)
        {
            OnNotice($"Could not update channels now ({e.Message}).");
        }
    }

    /// <summary>
    /// A sender that is not a contact may still be a member of a channel we share, vouched for by whoever added
    /// them: accepted (and made a contact) only if the identity its session carries is the vouched one.
    /// </summary>
    private Contact? AcceptChannelStrangerLocked(string source, int device)
    {
        AccountInfo me = Account;
        byte[]? key = _crypto.GetIdentity(source, device);
        if (key is null)
        {
            return null;
        }
        var vouched = _store.Query(
            "SELECT m.channel, m.name, m.identity_key FROM channel_members m WHERE m.account = $a " +
            "AND m.channel IN (SELECT channel FROM channel_members WHERE account = $me)",
            r => (Channel: r.GetString(0), Name: r.GetString(1), Key: (byte[])r[2]), ("$a", source), ("$me", me.Account))
            .FirstOrDefault(v => CryptographicOperations.FixedTimeEquals(v.Key, key));
        if (vouched.Channel is null)
        {
            return null;
        }
        AddChannelContactLocked(source, vouched.Name, key, vouched.Channel);
        return FindContactByAccount(source);
    }

    private void AddChannelContactLocked(string account, string name, byte[] identityKey, string channel)
    {
        string alias = UniqueAlias(name);
        _store.Execute(
            "INSERT INTO contacts(account, alias, identity_key, verified, created_at) VALUES($a, $n, $k, 0, $t)",
            ("$a", account), ("$n", alias), ("$k", identityKey), ("$t", Now()));
        _store.Execute("INSERT OR IGNORE INTO contact_via_channel(account, channel) VALUES($a, $c)", ("$a", account), ("$c", channel));
        OnNotice($"\"{alias}\" is now a contact (via channel \"{ChannelName(channel)}\"; not yet verified).");
    }

    /// <summary>A channel envelope from <paramref name="sender"/>: the channel's whole member list. Returns false to drop it.</summary>
    private bool ApplyChannelUpdateLocked(string sender, Envelope envelope)
    {
        AccountInfo me = Account;
        string id = Guid.Parse(envelope.Channel!).ToString();
        var entries = envelope.Members!.Select(m => m with { Account = m.Account.ToLowerInvariant() }).DistinctBy(m => m.Account).ToList();
        HashSet<string> incoming = entries.Select(m => m.Account).ToHashSet(StringComparer.Ordinal);
        bool exists = _store.Scalar("SELECT 1 FROM channels WHERE id = $id", ("$id", id)) is not null;
        HashSet<string> current = exists ? MemberAccounts(id) : [];
        bool allowed = exists ? current.Contains(sender) && current.Contains(me.Account) : incoming.Contains(sender) && incoming.Contains(me.Account);
        if (!allowed)
        {
            OnNotice("Dropped a channel update from someone who is not a member of that channel.");
            return false;
        }
        if (!exists)
        {
            string name = ValidateName(envelope.ChannelName, "channel name");
            string unique = name;
            for (int i = 2; FindChannelId(unique) is not null; i++)
            {
                unique = $"{name}-{i}";
            }
            _store.Execute("INSERT INTO channels(id, name, created_at) VALUES($id, $n, $t)", ("$id", id), ("$n", unique), ("$t", Now()));
            OnNotice(sender == me.Account
                ? $"The channel \"{unique}\" was created on another of your devices."
                : $"You were added to the channel \"{unique}\".");
        }
        List<string> removed = current.Where(a => !incoming.Contains(a)).ToList();
        _store.Execute("DELETE FROM channel_members WHERE channel = $c", ("$c", id));
        foreach (ChannelMemberEntry m in entries)
        {
            InsertMember(id, m.Account, ValidateName(m.Name, "member name"), m.IdentityKey);
            // A member's access key, vouched for like its identity key, lets us send it sealed without an invite. One
            // we already hold (from its own invite or introduction) is kept; a wrong one only costs a fallback to
            // unsealed delivery (the relay answers 401).
            if (m.Account != me.Account && m.AccessKey is { Length: AccessKeyLength } && AccessKeyOfLocked(m.Account) is null)
            {
                SaveAccessKeyLocked(m.Account, m.AccessKey);
            }
        }
        if (!incoming.Contains(me.Account))
        {
            _store.Execute("DELETE FROM channel_key_devices WHERE channel = $c", ("$c", id));
            OnNotice($"You were removed from the channel \"{ChannelName(id)}\".");
        }
        else if (removed.Count > 0)
        {
            RotateLocked(id, removed);
        }
        _channelsDirty = true;
        return true;
    }

    /// <summary>A sender key from <paramref name="sender"/> for a channel we share. Returns false to drop it.</summary>
    private bool ApplySenderKeyLocked(string sender, int device, Envelope envelope)
    {
        AccountInfo me = Account;
        string id = Guid.Parse(envelope.Channel!).ToString();
        HashSet<string> members = MemberAccounts(id);
        if (!members.Contains(sender) || !members.Contains(me.Account))
        {
            OnNotice("Dropped a sender key for a channel the sender and we do not share.");
            return false;
        }
        try
        {
            _crypto.GroupProcess(sender, device, envelope.Distribution!);
            if (!KeySent(id, sender, device))
            {
                _channelsDirty = true; // a device we have not given our key yet (newly linked): give it
            }
            return true;
        }
        catch (CryptoFailure f)
        {
            OnNotice($"Dropped an unusable sender key ({f.Kind}).");
            return false;
        }
    }

    /// <summary>Stores a decrypted channel text; null when it is not acceptable or already stored.</summary>
    private ChatMessage? StoreChannelTextLocked(Contact sender, Envelope envelope)
    {
        AccountInfo me = Account;
        if (envelope.Kind != Envelope.KindText || !Guid.TryParse(envelope.Channel, out Guid channel))
        {
            OnNotice("Dropped a channel message in a format this client does not understand.");
            return null;
        }
        string id = channel.ToString();
        HashSet<string> members = MemberAccounts(id);
        if (!members.Contains(sender.Account) || !members.Contains(me.Account))
        {
            OnNotice("Dropped a channel message from someone who is not a member of that channel.");
            return null;
        }
        string? topic = NormaliseTopicOrNull(envelope.Topic);
        int added = _store.Execute(
            "INSERT OR IGNORE INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
            "VALUES($id, $a, 'in', $topic, $text, $sent, $now, $s)",
            ("$id", envelope.Id), ("$a", sender.Account), ("$topic", _store.SealText(TopicPlace, topic)),
            ("$text", _store.SealText(TextPlace, envelope.Text)), ("$sent", envelope.SentAt), ("$now", Now()), ("$s", MessageStatus.Received));
        if (added == 0)
        {
            return null;
        }
        _store.Execute("INSERT OR IGNORE INTO channel_messages(id, channel) VALUES($id, $c)", ("$id", envelope.Id), ("$c", id));
        return new ChatMessage(envelope.Id, sender.Account, sender.Alias, sender.Alias, topic,
            DateTimeOffset.FromUnixTimeMilliseconds(envelope.SentAt), envelope.Text!, "in", MessageStatus.Received, ChannelName(id));
    }

    /// <summary>Drops our sender key for the channel (and the removed members' keys), so the next distribution is a new chain.</summary>
    private void RotateLocked(string id, IEnumerable<string> removed)
    {
        AccountInfo me = Account;
        Guid distribution = Guid.Parse(id);
        _crypto.DropSenderKeys(me.Account, distribution);
        foreach (string account in removed)
        {
            _crypto.DropSenderKeys(account, distribution);
        }
        _store.Execute("DELETE FROM channel_key_devices WHERE channel = $c", ("$c", id));
    }

    /// <summary>Queues the channel's whole member list (with vouched identity keys) to each of <paramref name="recipients"/>.</summary>
    private void AnnounceLocked(string id, string name, IEnumerable<string> recipients)
    {
        List<ChannelMemberEntry> entries = _store.Query(
            "SELECT account, name, identity_key FROM channel_members WHERE channel = $c ORDER BY account",
            r => new ChannelMemberEntry(r.GetString(0), r.GetString(1), (byte[])r[2]), ("$c", id));
        AccountInfo me = Account;
        byte[]? ownAccessKey = _store.GetMeta(MetaKeys.AccessKey);
        entries = entries.Select(e => e.Account == me.Account
            ? e with { Name = me.Name, AccessKey = ownAccessKey }
            : e with { AccessKey = AccessKeyOfLocked(e.Account) }).ToList();
        // Our own other devices get the list too, so that a change made here shows on each of them.
        IEnumerable<string> all = SessionDevices(me.Account).Count > 0 ? recipients.Append(me.Account) : recipients;
        foreach (string account in all.Distinct())
        {
            EnqueueLocked(account, new Envelope
            {
                Id = NewId(), Kind = Envelope.KindChannel, SentAt = Now(), Channel = id, ChannelName = name, Members = entries,
            });
        }
    }

    private void InsertMember(string channel, string account, string name, byte[] identityKey) =>
        _store.Execute("INSERT OR REPLACE INTO channel_members(channel, account, name, identity_key) VALUES($c, $a, $n, $k)",
            ("$c", channel), ("$a", account), ("$n", name), ("$k", identityKey));

    private HashSet<string> MemberAccounts(string id) =>
        _store.Query("SELECT account FROM channel_members WHERE channel = $c", r => r.GetString(0), ("$c", id)).ToHashSet(StringComparer.Ordinal);

    private bool KeySent(string channel, string account, int device) =>
        _store.Scalar("SELECT 1 FROM channel_key_devices WHERE channel = $c AND account = $a AND device = $d",
            ("$c", channel), ("$a", account), ("$d", device)) is not null;

    private List<string> MembersOf(string id)
    {
        lock (_gate)
        {
            return [.. MemberAccounts(id)];
        }
    }

    private List<int> SessionDevices(string account) =>
        _store.Query("SELECT device FROM sessions WHERE name = $a ORDER BY device", r => (int)r.GetInt64(0), ("$a", account));

    private string? FindChannelId(string name) =>
        _store.Scalar("SELECT id FROM channels WHERE name = $n", ("$n", name.Trim())) as string;

    private string ChannelName(string id) => (string)_store.Scalar("SELECT name FROM channels WHERE id = $id", ("$id", id))!;

    /// <summary>The channel's id; throws unless it exists and we are a member.</summary>
    private string RequireMemberChannel(string name)
    {
        AccountInfo me = Account;
        lock (_gate)
        {
            string id = FindChannelId(name) ?? throw UnknownChannel(name);
            if (!MemberAccounts(id).Contains(me.Account))
            {
                throw new BackchannelException(ErrorKinds.NotMember, $"You are no longer a member of the channel \"{name}\".");
            }
            return id;
        }
    }

    private ChannelInfo ChannelById(string id)
    {
        lock (_gate)
        {
            return ChannelByIdLocked(id);
        }
    }

    private ChannelInfo ChannelByIdLocked(string id)
    {
        AccountInfo me = Account;
        List<(string Account, string Name)> members = _store.Query(
            "SELECT m.account, COALESCE(c.alias, m.name) FROM channel_members m LEFT JOIN contacts c ON c.account = m.account " +
            "WHERE m.channel = $c", r => (r.GetString(0), r.GetString(1)), ("$c", id));
        List<string> names = members.Select(m => m.Account == me.Account ? me.Name : m.Name)
            .Order(StringComparer.OrdinalIgnoreCase).ToList();
        return new ChannelInfo(id, ChannelName(id), names, members.Any(m => m.Account == me.Account));
    }

    private BackchannelException UnknownChannel(string name)
    {
        List<string> known = _store.Query("SELECT name FROM channels ORDER BY name", r => r.GetString(0));
        string hint = known.Count == 0 ? "You have no channels yet: `backchannel channel create NAME --with ALIAS`." : $"Known: {string.Join(", ", known)}.";
        return new BackchannelException(ErrorKinds.UnknownChannel, $"No channel called \"{name}\". {hint}");
    }
}
