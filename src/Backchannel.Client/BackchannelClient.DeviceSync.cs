using System.Security.Cryptography;
using System.Text.Json;
using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;

namespace Backchannel.Client;

// Keeping an account's devices alike: channels copied at link time and changed on any device, channel texts sent
// from one device shown on the others as outgoing, and the stored history copied to a newly linked device.
public sealed partial class BackchannelClient
{
    /// <summary>History copied to a new device: at most the newest this many messages…</summary>
    internal const int MaxHistoryMessages = 5000;

    /// <summary>…and at most this many bytes of serialised entries (about 100 pages, well under the relay's send rate).</summary>
    internal const int MaxHistoryBytes = 4 * 1024 * 1024;

    /// <summary>One history page's entries take at most this much, so that a page fits one ciphertext.</summary>
    private const int HistoryPageBytes = 40 * 1024;

    /// <summary>How long an approval waits for the new device to register before giving up on copying history.</summary>
    private static readonly TimeSpan NewDeviceWait = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web);

    /// <summary>A channel in the provisioning payload: id, name, creation time and members with their vouched identity keys.</summary>
    private sealed record ProvisionedChannel(string Id, string Name, long CreatedAt, IReadOnlyList<ChannelMemberEntry> Members);

    private List<ProvisionedChannel> ProvisionedChannelsLocked() =>
        _store.Query("SELECT id, name, created_at FROM channels ORDER BY name", r => (r.GetString(0), r.GetString(1), r.GetInt64(2)))
            .Select(c => new ProvisionedChannel(c.Item1, c.Item2, c.Item3, _store.Query(
                "SELECT account, name, identity_key FROM channel_members WHERE channel = $c ORDER BY account",
                r => new ChannelMemberEntry(r.GetString(0), r.GetString(1), (byte[])r[2]), ("$c", c.Item1))))
            .ToList();

    /// <summary>On the new device: the channels the approving device knew; a malformed one is skipped, not fatal.</summary>
    private void StoreProvisionedChannelsLocked(IReadOnlyList<ProvisionedChannel> channels)
    {
        foreach (ProvisionedChannel c in channels)
        {
            if (!Guid.TryParse(c.Id, out Guid parsed) || c.Members is not { Count: > 0 }
                || !c.Members.All(m => Guid.TryParse(m.Account, out _) && SessionCrypto.IsIdentityKey(m.IdentityKey) && !string.IsNullOrWhiteSpace(m.Name)))
            {
                continue;
            }
            string id = parsed.ToString();
            string name;
            try
            {
                name = ValidateName(c.Name, "channel name");
                foreach (ChannelMemberEntry m in c.Members)
                {
                    _ = ValidateName(m.Name, "member name");
                }
            }
            catch (BackchannelException)
            {
                continue;
            }
            if (_store.Scalar("SELECT 1 FROM channels WHERE id = $id", ("$id", id)) is not null || FindChannelId(name) is not null)
            {
                continue;
            }
            _store.Execute("INSERT INTO channels(id, name, created_at) VALUES($id, $n, $t)", ("$id", id), ("$n", name), ("$t", c.CreatedAt));
            foreach (ChannelMemberEntry m in c.Members.DistinctBy(m => m.Account.ToLowerInvariant()))
            {
                InsertMember(id, m.Account.ToLowerInvariant(), ValidateName(m.Name, "member name"), m.IdentityKey);
            }
        }
    }

    /// <summary>
    /// Right after linking: gives this device's own sender key to every member device of our channels, which also
    /// tells the other members that this device exists (they answer with theirs). Best effort: members also find
    /// the device in the relay's device list before their next channel send, and our first channel send here
    /// distributes our key anyway.
    /// </summary>
    private async Task AnnounceLinkedDeviceAsync(CancellationToken ct)
    {
        List<string> members;
        lock (_gate)
        {
            members = _store.Query("SELECT DISTINCT account FROM channel_members", r => r.GetString(0));
        }
        if (members.Count == 0)
        {
            return;
        }
        try
        {
            await RefreshMemberDevicesAsync(members, ct).ConfigureAwait(false);
            await ReconcileChannelsAsync(ct).ConfigureAwait(false);
        }
        catch (BackchannelException e)
        {
            OnNotice($"Could not announce this device to channel members now ({e.Message}); they find it when they next send to the channel.");
        }
    }

    private async Task<List<int>> OwnDeviceIdsAsync(CancellationToken ct)
    {
        try
        {
            return [.. (await Relay().GetDevicesAsync(ct).ConfigureAwait(false)).Devices.Select(d => d.DeviceId)];
        }
        catch (Exception e)
        {
            throw Translate(e);
        }
    }

    /// <summary>
    /// After an approval: waits (up to <see cref="NewDeviceWait"/>) for the new device to register, starts a session
    /// with it and sends it the stored history in pages, end to end encrypted like any message. Best effort: the
    /// approval itself has succeeded whatever happens here.
    /// </summary>
    private async Task CopyHistoryToNewDeviceAsync(List<int> before, CancellationToken ct)
    {
        DateTimeOffset deadline = _time.GetUtcNow() + NewDeviceWait;
        List<int> added = [];
        while (added.Count == 0)
        {
            try
            {
                added = (await OwnDeviceIdsAsync(ct).ConfigureAwait(false)).Except(before).ToList();
            }
            catch (BackchannelException)
            {
                // The relay is briefly unreachable: ask again until the deadline.
            }
            if (added.Count > 0)
            {
                break;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                OnNotice("The new device did not finish linking in time; the history was not copied to it.");
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
        lock (_deviceRefreshes)
        {
            _deviceRefreshes.Remove(Account.Account);
        }
        await RefreshOwnDevicesAsync(ct).ConfigureAwait(false);
        int pages = 0;
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                List<int> reachable = SessionDevices(Account.Account).Intersect(added).ToList();
                if (reachable.Count == 0)
                {
                    return;
                }
                foreach (List<HistoryEntry> page in HistoryPagesLocked())
                {
                    EnqueueToDevicesLocked(Account.Account, reachable, new Envelope
                    {
                        Id = NewId(), Kind = Envelope.KindHistory, SentAt = Now(), History = page,
                    });
                    pages++;
                }
            });
        }
        if (pages > 0)
        {
            await FlushOutboxAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The newest history within the bounds, oldest first, cut into pages that each fit one ciphertext.</summary>
    private List<List<HistoryEntry>> HistoryPagesLocked()
    {
        List<HistoryEntry> newestFirst = _store.Query(
            "SELECT m.id, m.account, m.direction, m.topic, m.text, m.sent_at, cm.channel FROM messages m " +
            "LEFT JOIN channel_messages cm ON cm.id = m.id ORDER BY m.seq DESC LIMIT $n",
            r => new HistoryEntry(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.GetString(4), r.GetInt64(5), r.IsDBNull(6) ? null : r.GetString(6)),
            ("$n", MaxHistoryMessages));
        var sized = new List<(HistoryEntry Entry, int Bytes)>();
        long total = 0;
        foreach (HistoryEntry e in newestFirst)
        {
            int bytes = JsonSerializer.SerializeToUtf8Bytes(e, HistoryJson).Length;
            if (bytes > HistoryPageBytes || !HistoryEntry.IsWellFormed(e))
            {
                continue; // a single entry this large (heavily escaped text) would not fit one ciphertext
            }
            if (total + bytes > MaxHistoryBytes)
            {
                break;
            }
            total += bytes;
            sized.Add((e, bytes));
        }
        sized.Reverse();
        var pages = new List<List<HistoryEntry>>();
        var current = new List<HistoryEntry>();
        int currentBytes = 0;
        foreach ((HistoryEntry e, int bytes) in sized)
        {
            if (current.Count > 0 && currentBytes + bytes > HistoryPageBytes)
            {
                pages.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(e);
            currentBytes += bytes;
        }
        if (current.Count > 0)
        {
            pages.Add(current);
        }
        return pages;
    }

    /// <summary>
    /// An envelope from another device of this account: a sent transcript (1:1 or channel), a channel change, or
    /// a history page. Returns false to drop it; <paramref name="shown"/> is a message to show (transcripts only).
    /// </summary>
    private bool ApplyFromOwnDeviceLocked(Envelope envelope, out ChatMessage? shown)
    {
        shown = null;
        switch (envelope.Kind)
        {
            case Envelope.KindTranscript when envelope.Channel is not null:
                shown = StoreChannelTranscriptLocked(envelope);
                return true;
            case Envelope.KindTranscript:
                shown = StoreTranscriptLocked(envelope);
                return true;
            case Envelope.KindChannel:
                return ApplyChannelUpdateLocked(Account.Account, envelope);
            case Envelope.KindHistory:
                StoreHistoryLocked(envelope.History!);
                return true;
            default:
                OnNotice("Dropped a message from another device of this account that this client does not expect.");
                return false;
        }
    }

    /// <summary>
    /// Stores a history page from our own other device (authenticated by this account's identity). Copied messages
    /// keep their ids (a message already here is skipped) and are not shown as new. An entry that names an unknown
    /// contact or channel is skipped.
    /// </summary>
    private void StoreHistoryLocked(List<HistoryEntry> entries)
    {
        AccountInfo me = Account;
        int skipped = 0;
        foreach (HistoryEntry e in entries)
        {
            string account = e.Account.ToLowerInvariant();
            string? channel = e.Channel is null ? null : Guid.Parse(e.Channel).ToString();
            // A 1:1 message belongs to a contact; a channel message to a known channel, from a member at the time
            // (perhaps removed since, so not checked against today's list), or from us.
            bool known = channel is null
                ? account != me.Account && FindContactByAccount(account) is not null
                : _store.Scalar("SELECT 1 FROM channels WHERE id = $c", ("$c", channel)) is not null
                    && (e.Direction == "out") == (account == me.Account);
            if (!known)
            {
                skipped++;
                continue;
            }
            string? topic = NormaliseTopicOrNull(e.Topic);
            int added = _store.Execute(
                "INSERT OR IGNORE INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
                "VALUES($id, $a, $dir, $topic, $text, $sent, $now, $s)",
                ("$id", Guid.Parse(e.Id).ToString()), ("$a", account), ("$dir", e.Direction), ("$topic", topic), ("$text", e.Text),
                ("$sent", e.SentAt), ("$now", Now()), ("$s", e.Direction == "out" ? MessageStatus.Sent : MessageStatus.Received));
            if (added == 1 && channel is not null)
            {
                _store.Execute("INSERT OR IGNORE INTO channel_messages(id, channel) VALUES($id, $c)", ("$id", Guid.Parse(e.Id).ToString()), ("$c", channel));
            }
        }
        if (skipped > 0)
        {
            OnNotice($"Skipped {skipped} copied message(s) about a contact or channel this device does not know.");
        }
    }

    /// <summary>A channel text we sent: a transcript for each of our other devices, so it shows there as outgoing.</summary>
    private void EnqueueChannelTranscriptLocked(string channel, Envelope sent)
    {
        AccountInfo me = Account;
        List<int> devices = SessionDevices(me.Account);
        if (devices.Count == 0)
        {
            return;
        }
        // The transcript carries the message's own id, so both devices store it under the same id; its outbox
        // rows get their own (the message's id already names the rows to the members).
        EnqueueToDevicesLocked(me.Account, devices, new Envelope
        {
            Id = sent.Id, Kind = Envelope.KindTranscript, Text = sent.Text, Topic = sent.Topic, SentAt = sent.SentAt, Channel = channel,
        }, outboxId: NewId());
    }

    /// <summary>A channel text one of our other devices sent: stored as outgoing in that channel, under the original id.</summary>
    private ChatMessage? StoreChannelTranscriptLocked(Envelope transcript)
    {
        AccountInfo me = Account;
        string channel = Guid.Parse(transcript.Channel!).ToString();
        if (_store.Scalar("SELECT 1 FROM channels WHERE id = $c", ("$c", channel)) is null)
        {
            OnNotice("Dropped a sent transcript for a channel this device does not know.");
            return null;
        }
        string id = transcript.Id;
        string? topic = NormaliseTopicOrNull(transcript.Topic);
        int added = _store.Execute(
            "INSERT OR IGNORE INTO messages(id, account, direction, topic, text, sent_at, received_at, status) " +
            "VALUES($id, $a, 'out', $topic, $text, $sent, $now, $s)",
            ("$id", id), ("$a", me.Account), ("$topic", topic), ("$text", transcript.Text),
            ("$sent", transcript.SentAt), ("$now", Now()), ("$s", MessageStatus.Sent));
        if (added == 0)
        {
            return null;
        }
        _store.Execute("INSERT OR IGNORE INTO channel_messages(id, channel) VALUES($id, $c)", ("$id", id), ("$c", channel));
        return new ChatMessage(id, me.Account, me.Name, me.Name, topic, DateTimeOffset.FromUnixTimeMilliseconds(transcript.SentAt),
            transcript.Text!, "out", MessageStatus.Sent, ChannelName(channel));
    }

    /// <summary>
    /// Before a channel change or text: the current devices of each member that is a contact and of our own
    /// account, so that each of them gets a session (and then our sender key). Skipped right after a failed delivery.
    /// </summary>
    private async Task RefreshMemberDevicesAsync(IEnumerable<string> accounts, CancellationToken ct)
    {
        if (_time.GetUtcNow() - _lastFlushFailure <= FlushRetryPause)
        {
            return;
        }
        AccountInfo me = Account;
        List<Contact> contacts;
        lock (_gate)
        {
            contacts = accounts.Distinct().Where(a => a != me.Account).Select(FindContactByAccount)
                .OfType<Contact>().Where(c => !c.IdentityChanged).ToList();
        }
        foreach (Contact c in contacts)
        {
            if (!await RefreshDevicesAsync(c, ct).ConfigureAwait(false))
            {
                return;
            }
        }
        await RefreshOwnDevicesAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The relay refused a message for <paramref name="device"/> of <paramref name="account"/> as unknown: if the
    /// account still exists without that device (it was removed since our device list was fetched), its session
    /// is forgotten, our sender keys rotate, and true is returned.
    /// </summary>
    private async Task<bool> ForgetRemovedDeviceAsync(string account, int device, CancellationToken ct)
    {
        List<int> current;
        try
        {
            current = [.. (await Relay().GetAccountDevicesAsync(account, ct).ConfigureAwait(false)).Devices];
        }
        catch (Exception e) when (e is RelayUnreachableException or RelayProblemException)
        {
            return false;
        }
        if (current.Count == 0 || current.Contains(device))
        {
            return false;
        }
        lock (_deviceRefreshes)
        {
            _deviceRefreshes.Remove(account);
        }
        lock (_gate)
        {
            _store.Transaction(() =>
            {
                _store.Execute("DELETE FROM sessions WHERE name = $a AND device = $d", ("$a", account), ("$d", device));
                RotateForRemovedDevicesLocked(account, [device]);
            });
        }
        return true;
    }

    /// <summary>
    /// Devices of <paramref name="account"/> are gone (removed): a new sender key for each channel we share with it,
    /// so that whatever holds the removed device's state cannot read what we send from now on.
    /// </summary>
    private void RotateForRemovedDevicesLocked(string account, List<int> removed)
    {
        AccountInfo me = Account;
        foreach (int device in removed)
        {
            _store.Execute("DELETE FROM channel_key_devices WHERE account = $a AND device = $d", ("$a", account), ("$d", device));
        }
        if (account == me.Account)
        {
            return; // our own devices never get our sender key (they get transcripts)
        }
        List<string> shared = _store.Query(
            "SELECT channel FROM channel_members WHERE account = $a AND channel IN (SELECT channel FROM channel_members WHERE account = $me)",
            r => r.GetString(0), ("$a", account), ("$me", me.Account));
        foreach (string channel in shared)
        {
            RotateLocked(channel, []);
        }
    }
}
