using System.Text.Json;
using Backchannel.Client.Messages;

namespace Backchannel.Client;

// History on a new device: after an approval, the stored messages go to the new device in pages, each an
// ordinary end-to-end encrypted message to that device only; the new device stores them without showing them.
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
            r => new HistoryEntry(r.GetString(0), r.GetString(1), r.GetString(2), _store.UnsealText(TopicPlace, r.GetValue(3)),
                _store.UnsealText(TextPlace, r.GetValue(4))!, r.GetInt64(5), r.IsDBNull(6) ? null : r.GetString(6)),
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
                ("$id", Guid.Parse(e.Id).ToString()), ("$a", account), ("$dir", e.Direction), ("$topic", _store.SealText(TopicPlace, topic)),
                ("$text", _store.SealText(TextPlace, e.Text)),
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
}
