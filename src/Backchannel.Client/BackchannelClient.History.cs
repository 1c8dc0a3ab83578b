using System.Text.Json;
using Backchannel.Client.Messages;
using Backchannel.Client.Relay;
using Backchannel.Client.Storage;

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

    /// <summary>How long <c>device approve</c> itself waits for the new device to register before leaving the copy for later.</summary>
    internal TimeSpan NewDeviceWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A copy the new device was not registered for in time is made at a later sync or watch, up to this long after.</summary>
    internal static readonly TimeSpan PendingHistoryLifetime = TimeSpan.FromDays(7);

    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web);

    /// <summary>An approval whose history copy is still to be made: the devices the account had before it, and until when.</summary>
    private sealed record PendingHistoryCopy(List<int> Before, long Until);

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
    /// After an approval: remembers that the new device is owed the history (so that nothing is lost if it links
    /// late), waits up to <see cref="NewDeviceWait"/> for it to register, then sends it the stored history in pages,
    /// end to end encrypted like any message. Best effort: the approval itself has succeeded whatever happens here.
    /// </summary>
    private async Task CopyHistoryToNewDeviceAsync(List<int> before, CancellationToken ct)
    {
        List<int> owedBefore;
        lock (_gate)
        {
            // An earlier approval still waiting keeps its own new device owed too: count only devices both knew.
            owedBefore = ReadPendingHistoryCopyLocked() is { } earlier && earlier.Until >= Now()
                ? [.. before.Intersect(earlier.Before)]
                : before;
            var pending = new PendingHistoryCopy(owedBefore, Now() + (long)PendingHistoryLifetime.TotalMilliseconds);
            _store.SetMeta(MetaKeys.PendingHistoryCopy, JsonSerializer.SerializeToUtf8Bytes(pending, HistoryJson));
        }
        DateTimeOffset deadline = _time.GetUtcNow() + NewDeviceWait;
        while (true)
        {
            List<int> ids = [];
            try
            {
                ids = await OwnDeviceIdsAsync(ct).ConfigureAwait(false);
            }
            catch (BackchannelException)
            {
                // The relay is briefly unreachable: ask again until the deadline.
            }
            if (ids.Except(before).Any())
            {
                await CopyHistoryAsync([.. ids.Except(owedBefore)], ct).ConfigureAwait(false);
                return;
            }
            if (_time.GetUtcNow() >= deadline)
            {
                OnNotice("The new device has not finished linking yet. This device sends it the history at its next " +
                    $"`sync` or `watch` after it has (for up to {PendingHistoryLifetime.TotalDays:0} days).");
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// At a sync or watch: makes the history copy an approval left for later once the new device has registered,
    /// or drops it when it is older than <see cref="PendingHistoryLifetime"/>. Costs one request only while a copy
    /// is owed; a relay error leaves it owed.
    /// </summary>
    private async Task ResumeHistoryCopyAsync(CancellationToken ct)
    {
        PendingHistoryCopy? pending;
        lock (_gate)
        {
            pending = ReadPendingHistoryCopyLocked();
            if (pending is not null && pending.Until < Now())
            {
                _store.DeleteMeta(MetaKeys.PendingHistoryCopy);
                OnNotice("A device approved here never finished linking; its copy of the history was dropped.");
                return;
            }
        }
        if (pending is null)
        {
            return;
        }
        try
        {
            List<int> added = (await OwnDeviceIdsAsync(ct).ConfigureAwait(false)).Except(pending.Before).ToList();
            if (added.Count > 0)
            {
                await CopyHistoryAsync(added, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is BackchannelException or RelayUnreachableException or RelayProblemException)
        {
            OnNotice($"The history for a newly linked device is still owed ({e.Message}); the next sync tries again.");
        }
    }

    /// <summary>
    /// Sends the history to the <paramref name="added"/> devices we can reach. Queuing the pages and clearing the
    /// owed copy happen in one transaction, so the copy is made once and, once queued, delivered like any message.
    /// </summary>
    private async Task CopyHistoryAsync(List<int> added, CancellationToken ct)
    {
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
                    return; // no session with the new device (its keys were unusable): stays owed
                }
                foreach (List<HistoryEntry> page in HistoryPagesLocked())
                {
                    EnqueueToDevicesLocked(Account.Account, reachable, new Envelope
                    {
                        Id = NewId(), Kind = Envelope.KindHistory, SentAt = Now(), History = page,
                    });
                    pages++;
                }
                _store.DeleteMeta(MetaKeys.PendingHistoryCopy);
            });
        }
        if (pages > 0)
        {
            await FlushOutboxAsync(ct).ConfigureAwait(false);
        }
    }

    private PendingHistoryCopy? ReadPendingHistoryCopyLocked()
    {
        if (_store.GetMeta(MetaKeys.PendingHistoryCopy) is not { } bytes)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<PendingHistoryCopy>(bytes, HistoryJson) is { Before: not null } p ? p : null;
        }
        catch (JsonException)
        {
            return null; // written by this code only; unreadable means nothing owed
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
