using Backchannel.Client.Crypto;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;

namespace Backchannel.Client;

// Keeping an account's devices alike: channels copied at link time and changed on any device, channel texts sent
// from one device shown on the others as outgoing, sender keys rotated when a member's device is removed.
public sealed partial class BackchannelClient
{
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
            ("$id", id), ("$a", me.Account), ("$topic", _store.SealText(TopicPlace, topic)), ("$text", _store.SealText(TextPlace, transcript.Text)),
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
