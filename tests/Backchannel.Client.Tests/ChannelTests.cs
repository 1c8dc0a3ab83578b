using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Backchannel.Client.Tests;

/// <summary>The client engine against the real relay library on loopback.</summary>
public sealed class ChannelTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Invite_and_accept_make_both_sides_contacts_with_equal_safety_numbers()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("envoy-east");
        BackchannelClient west = await s.NewAsync("envoy-west");

        ContactInfo accepted = await west.AcceptAsync(east.CreateInvite());
        Assert.Equal("envoy-east", accepted.Alias);
        Assert.Equal(east.Account.Account, accepted.Account);
        Assert.Empty(east.Contacts());

        IReadOnlyList<ChatMessage> shown = await east.SyncAsync();
        Assert.Empty(shown); // the introduction is not a message
        ContactInfo atEast = Assert.Single(east.Contacts());
        Assert.Equal("envoy-west", atEast.Alias);
        Assert.Equal(west.Account.Account, atEast.Account);

        ContactInfo atWest = Assert.Single(west.Contacts());
        Assert.Equal(atEast.SafetyNumber, atWest.SafetyNumber);
        Assert.Matches("^([0-9]{5} ){11}[0-9]{5}$", atEast.SafetyNumber);
        Assert.False(atEast.Verified);

        VerifyResult verified = await east.VerifyAsync("envoy-west", confirm: true);
        Assert.True(verified.Verified);
        Assert.True(Assert.Single(east.Contacts()).Verified);
    }

    [Fact]
    public async Task Messages_flow_both_ways_with_topics_and_read_filters_by_contact_and_topic()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient third = await s.NewAsync("north");
        await third.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();

        Assert.Equal(MessageStatus.Sent, (await east.SendAsync("west", "consular contacts", "relations")).Status);
        await east.SendAsync("west", "two journalists", "detainees");
        await east.SendAsync("north", "hello north", "relations");
        await east.SendAsync("west", "no topic");
        IReadOnlyList<ChatMessage> atWest = await west.SyncAsync();
        Assert.Equal(["consular contacts", "two journalists", "no topic"], atWest.Select(m => m.Text));
        Assert.Equal(["relations", "detainees", null], atWest.Select(m => m.Topic));
        Assert.All(atWest, m => Assert.Equal("east", m.From));
        await west.SendAsync("east", "reply on detainees", "detainees");
        await east.SyncAsync();

        Assert.Equal(["two journalists", "reply on detainees"], east.Read("west", "detainees").Select(m => m.Text));
        Assert.Equal(["consular contacts"], east.Read("west", "relations").Select(m => m.Text));
        Assert.Equal(["consular contacts", "hello north"], east.Read(null, "relations").Select(m => m.Text));
        Assert.Equal(5, east.Read().Count);
        ChatMessage reply = east.Read("west", "detainees")[1];
        Assert.Equal(("in", "west"), (reply.Direction, reply.From));
        ChatMessage mine = east.Read("west", "detainees")[0];
        Assert.Equal(("out", "east"), (mine.Direction, mine.From));
        Assert.Equal("hello north", Assert.Single(east.Read("north", null, limit: 1)).Text);
        Assert.Equal(["no topic", "reply on detainees"], east.Read("west", null, limit: 2).Select(m => m.Text));
        Assert.Equal("reply on detainees", Assert.Single(east.Read(limit: 1)).Text);
    }

    [Fact]
    public async Task Accept_refuses_a_bundle_whose_identity_differs_from_the_invite()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient west = await s.NewAsync("west");
        BackchannelClient other = await s.NewAsync("other");
        Invite real = Invite.Parse(east.CreateInvite());
        // As if the relay served someone else's keys for east's account.
        string forged = (real with { IdentityKey = Convert.FromBase64String(other.Account.IdentityKey) }).Encode();

        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => west.AcceptAsync(forged));
        Assert.Equal(ErrorKinds.IdentityMismatch, e.Kind);
        Assert.Empty(west.Contacts());
        Assert.False(west.HasSessionWith(east.Account.Account));
    }

    [Fact]
    public async Task A_stranger_without_a_valid_invite_secret_is_refused_and_dropped()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient stranger = await s.NewAsync("stranger");
        // east has an outstanding invite, but the stranger only knows east's public account and key.
        Invite real = Invite.Parse(east.CreateInvite());
        string guessed = (real with { Secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }).Encode();
        await stranger.AcceptAsync(guessed);
        await stranger.SendAsync("east", "let me in");

        IReadOnlyList<ChatMessage> shown = await east.SyncAsync();

        Assert.Empty(shown);
        Assert.Empty(east.Contacts());
        Assert.Empty(east.Read());
        Assert.False(east.HasSessionWith(stranger.Account.Account));
        Assert.Equal(0, await east.PendingOnRelayAsync()); // acknowledged and dropped
        Assert.Contains(s.Notices, n => n.Contains("no valid invite", StringComparison.Ordinal));

        // The real invite still works for the person it was meant for, once.
        BackchannelClient west = await s.NewAsync("west");
        await west.AcceptAsync(real.Encode());
        await east.SyncAsync();
        Assert.Equal("west", Assert.Single(east.Contacts()).Alias);
        BackchannelClient copycat = await s.NewAsync("copycat");
        await copycat.AcceptAsync(real.Encode());
        await east.SyncAsync();
        Assert.Single(east.Contacts());
    }

    [Fact]
    public async Task Names_taken_by_an_earlier_contact_are_made_unique()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient a = s.Open("a");
        await a.InitAsync("envoy", s.Relay.Url);
        BackchannelClient b = s.Open("b");
        await b.InitAsync("envoy", s.Relay.Url);
        await a.AcceptAsync(east.CreateInvite());
        await b.AcceptAsync(east.CreateInvite(), alias: "the-east");
        await east.SyncAsync();
        Assert.Equal(["envoy", "envoy-2"], east.Contacts().Select(c => c.Alias).Order());
        Assert.Equal("the-east", Assert.Single(b.Contacts()).Alias);
    }

    [Fact]
    public async Task The_client_acknowledges_only_after_the_plaintext_is_committed_and_never_shows_a_message_twice()
    {
        await using Scenario s = await Scenario.StartAsync();
        var handler = new FaultHandler();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync(westHandler: handler);
        await east.SendAsync("west", "first", "relations");
        await east.SendAsync("west", "second", "relations");

        var storedAtAck = new List<long>();
        handler.Before = r =>
        {
            if (!FaultHandler.Is(r, "POST", "/v1/messages/ack") && !FaultHandler.Is(r, "DELETE", "/v1/messages/"))
            {
                return false;
            }
            storedAtAck.Add(CountIncoming(s.HomeOf("west")));
            return storedAtAck.Count == 1; // the first acknowledgement is lost, as in a crash right after the commit
        };

        IReadOnlyList<ChatMessage> first = await west.SyncAsync();
        Assert.Equal(["first", "second"], first.Select(m => m.Text));
        Assert.Equal(2, storedAtAck[0]); // both were durably stored before the relay heard an ack
        Assert.Equal(2, await west.PendingOnRelayAsync()); // ... which was lost, so the relay still has them

        IReadOnlyList<ChatMessage> again = await west.SyncAsync();
        Assert.Empty(again); // offered again, recognised, acknowledged, not shown
        Assert.Equal(0, await west.PendingOnRelayAsync());
        Assert.Equal(["first", "second"], west.Read().Select(m => m.Text));
    }

    [Fact]
    public async Task A_send_whose_answer_was_lost_is_retried_and_stored_once()
    {
        await using Scenario s = await Scenario.StartAsync();
        var handler = new FaultHandler();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync(eastHandler: handler);
        int sends = 0;
        handler.After = r => FaultHandler.Is(r, "POST", "/v1/messages") && !r.RequestUri!.AbsolutePath.Contains("ack", StringComparison.Ordinal)
            && ++sends == 1;

        SendResult result = await east.SendAsync("west", "said once");
        Assert.Equal(MessageStatus.Queued, result.Status); // the relay stored it, but we never heard so
        Assert.Equal(1, east.OutboxCount());

        await east.SyncAsync(); // retries with the same id: the relay answers "duplicate"
        Assert.Equal(0, east.OutboxCount());
        Assert.Equal(MessageStatus.Sent, Assert.Single(east.Read()).Status);
        Assert.Equal(["said once"], (await west.SyncAsync()).Select(m => m.Text));
        Assert.Single(west.Read());
    }

    [Fact]
    public async Task Sends_while_the_relay_is_down_are_queued_and_delivered_after_it_returns()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await s.Relay.StopAsync();

        var clock = Stopwatch.StartNew();
        SendResult one = await east.SendAsync("west", "while down 1", "relations");
        SendResult two = await east.SendAsync("west", "while down 2", "detainees");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"queued sends took {clock.Elapsed}");
        Assert.Equal((MessageStatus.Queued, MessageStatus.Queued), (one.Status, two.Status));
        BackchannelException down = await Assert.ThrowsAsync<BackchannelException>(() => west.SyncAsync());
        Assert.Equal(ErrorKinds.RelayUnreachable, down.Kind);

        await s.Relay.RestartAsync();
        await east.SyncAsync();
        Assert.All(east.Read(), m => Assert.Equal(MessageStatus.Sent, m.Status));
        Assert.Equal(["while down 1", "while down 2"], (await west.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task An_identity_change_blocks_sending_until_verify_confirm()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await east.SendAsync("west", "before");
        string before = Assert.Single(east.Contacts()).SafetyNumber;
        BackchannelClient other = await s.NewAsync("other");
        // East's record of west's key no longer matches the key west's session uses: to east, west's identity changed.
        SetKnownIdentity(s.HomeOf("east"), west.Account.Account, Convert.FromBase64String(other.Account.IdentityKey));

        BackchannelException blocked = await Assert.ThrowsAsync<BackchannelException>(() => east.SendAsync("west", "blocked"));
        Assert.Equal(ErrorKinds.IdentityChanged, blocked.Kind);
        Assert.True(Assert.Single(east.Contacts()).IdentityChanged);
        VerifyResult shown = await east.VerifyAsync("west", confirm: false);
        Assert.True(shown.IdentityChanged);
        Assert.False(shown.Verified);
        Assert.Equal(ErrorKinds.IdentityChanged,
            (await Assert.ThrowsAsync<BackchannelException>(() => east.SendAsync("west", "still blocked"))).Kind);

        VerifyResult confirmed = await east.VerifyAsync("west", confirm: true);
        Assert.True(confirmed.Verified);
        Assert.False(confirmed.IdentityChanged);
        Assert.Equal(before, confirmed.SafetyNumber); // the relay's key for west is the one west really has
        Assert.Equal(MessageStatus.Sent, (await east.SendAsync("west", "after")).Status);
        Assert.Equal(["before", "after"], (await west.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task Messages_under_a_changed_identity_are_held_until_verify_confirm_and_then_shown()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient other = await s.NewAsync("other");
        // West's record of east's key no longer matches what east's messages carry.
        SetKnownIdentity(s.HomeOf("west"), east.Account.Account, Convert.FromBase64String(other.Account.IdentityKey));
        await east.SendAsync("west", "held back");

        Assert.Empty(await west.SyncAsync());
        Assert.Equal(1, await west.PendingOnRelayAsync()); // not acknowledged: kept for after re-verification
        Assert.True(Assert.Single(west.Contacts()).IdentityChanged);
        Assert.Contains(s.Notices, n => n.Contains("WARNING", StringComparison.Ordinal));
        Assert.Equal(ErrorKinds.IdentityChanged,
            (await Assert.ThrowsAsync<BackchannelException>(() => west.SendAsync("east", "blocked"))).Kind);

        await west.VerifyAsync("east", confirm: true);
        Assert.Equal(["held back"], (await west.SyncAsync()).Select(m => m.Text));
        Assert.Equal(MessageStatus.Sent, (await west.SendAsync("east", "unblocked")).Status);
        Assert.Equal(["unblocked"], (await east.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task Two_processes_on_one_home_can_send_and_receive_at_the_same_time()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient eastAgain = s.Open("east"); // a second connection to east's store, as `send` beside `watch`
        for (int i = 0; i < 20; i++)
        {
            await west.SendAsync("east", $"to east {i}");
        }

        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                await eastAgain.SendAsync("west", $"to west {i}");
            }
        });
        Task<IReadOnlyList<ChatMessage>> receiving = Task.Run(() => east.SyncAsync());
        await Task.WhenAll(sending, receiving);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"to east {i}"), (await receiving).Select(m => m.Text));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"to west {i}"), (await west.SyncAsync()).Select(m => m.Text));
        Assert.Equal(40, east.Read(limit: 100).Count);
        await west.SendAsync("east", "and the sessions still agree");
        Assert.Equal("and the sessions still agree", Assert.Single(await eastAgain.SyncAsync()).Text);
    }

    [Fact]
    public async Task Watch_prints_messages_as_they_arrive()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        var got = new List<string>();
        var three = new TaskCompletionSource();
        var connected = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        Task watching = west.WatchAsync(m =>
        {
            got.Add(m.Text);
            if (got.Count == 3)
            {
                three.TrySetResult();
            }
            return Task.CompletedTask;
        }, status =>
        {
            if (status == "connected")
            {
                connected.TrySetResult();
            }
        }, stop.Token);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 1; i <= 3; i++)
        {
            await east.SendAsync("west", $"pushed {i}", "relations");
        }
        await three.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await StopWatchingOnceAcknowledgedAsync(west, stop, watching);
        Assert.Equal(["pushed 1", "pushed 2", "pushed 3"], got);
        Assert.Equal(0, await west.PendingOnRelayAsync());
        Assert.Empty(await west.SyncAsync());
    }

    [Fact]
    public async Task Watch_takes_a_backlog_in_batched_frames_stores_and_shows_every_message_in_order_and_acknowledges_all()
    {
        // 150 pending messages come in two "messages" frames (at most 100 each) and are acknowledged in ack frames of
        // up to 100 ids: a message dropped from a frame, shown out of order or left unacknowledged fails this.
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        const int Backlog = 150;
        for (int i = 0; i < Backlog; i++)
        {
            await east.SendAsync("west", $"backlog {i}");
        }
        Assert.Equal(Backlog, await west.PendingOnRelayAsync());

        var got = new List<string>();
        var all = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        Task watching = west.WatchAsync(m =>
        {
            got.Add(m.Text);
            if (got.Count == Backlog)
            {
                all.TrySetResult();
            }
            return Task.CompletedTask;
        }, ct: stop.Token);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(120));
        await StopWatchingOnceAcknowledgedAsync(west, stop, watching);
        Assert.Equal(Enumerable.Range(0, Backlog).Select(i => $"backlog {i}"), got);
        Assert.Equal(Backlog, west.Read(limit: 500).Count(m => m.Text.StartsWith("backlog ", StringComparison.Ordinal)));
        Assert.Empty(await west.SyncAsync());
    }

    /// <summary>
    /// The watch acknowledges over the socket; the relay handles those frames in its own time. Waits for the mailbox
    /// to empty while the connection is open (once stopped, an acknowledgement the relay had not read when the close
    /// grace ran out, on a loaded machine, is rightly left to the next sync, which is not what these tests check),
    /// asserts it is empty, then stops the watch.
    /// </summary>
    private static async Task StopWatchingOnceAcknowledgedAsync(BackchannelClient client, CancellationTokenSource stop, Task watching)
    {
        Stopwatch acked = Stopwatch.StartNew();
        while (await client.PendingOnRelayAsync() > 0 && acked.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, await client.PendingOnRelayAsync());
        stop.Cancel();
        await watching.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Watch_reconnects_after_the_relay_returns_and_delivers_the_outbox_on_connect()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        var got = new List<string>();
        var statuses = new List<string>();
        var received = new TaskCompletionSource();
        var firstConnect = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        Task watching = west.WatchAsync(m =>
        {
            got.Add(m.Text);
            received.TrySetResult();
            return Task.CompletedTask;
        }, status =>
        {
            lock (statuses)
            {
                statuses.Add(status);
            }
            firstConnect.TrySetResult();
        }, stop.Token);
        await firstConnect.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await s.Relay.StopAsync();
        Assert.Equal(MessageStatus.Queued, (await west.SendAsync("east", "queued while down")).Status);
        await Task.Delay(1500);
        await s.Relay.RestartAsync();
        await east.SendAsync("west", "after the outage");

        await received.Task.WaitAsync(TimeSpan.FromSeconds(60));
        stop.Cancel();
        await watching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["after the outage"], got);
        Assert.Contains(statuses, st => st.StartsWith("relay unreachable", StringComparison.Ordinal));
        Assert.True(statuses.Count(st => st == "connected") >= 2);
        // The watcher delivered west's outbox when it reconnected.
        Assert.Equal(0, west.OutboxCount());
        Assert.Equal(["queued while down"], (await east.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task Unknown_alias_and_uninitialised_home_give_clear_errors()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient fresh = s.Open("fresh");
        Assert.Equal(ErrorKinds.NotInitialised, Assert.Throws<BackchannelException>(() => fresh.CreateInvite()).Kind);
        await fresh.InitAsync("fresh", s.Relay.Url);
        Assert.Equal(ErrorKinds.AlreadyInitialised,
            (await Assert.ThrowsAsync<BackchannelException>(() => fresh.InitAsync("again", s.Relay.Url))).Kind);
        Assert.Equal(ErrorKinds.UnknownAlias,
            (await Assert.ThrowsAsync<BackchannelException>(() => fresh.SendAsync("nobody", "hi"))).Kind);
        Assert.Equal(ErrorKinds.OwnInvite,
            (await Assert.ThrowsAsync<BackchannelException>(() => fresh.AcceptAsync(fresh.CreateInvite()))).Kind);
    }

    [Fact]
    public async Task Init_against_an_unreachable_relay_fails_and_leaves_the_home_uninitialised()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient c = s.Open("c");
        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => c.InitAsync("c", new Uri("http://127.0.0.1:1")));
        Assert.Equal(ErrorKinds.RelayUnreachable, e.Kind);
        Assert.False(c.IsInitialised);
        await c.InitAsync("c", s.Relay.Url);
        Assert.True(c.IsInitialised);
    }

    [Fact]
    public async Task A_tampered_ciphertext_is_dropped_and_leaves_the_session_working()
    {
        await using Scenario s = await Scenario.StartAsync();
        var handler = new FaultHandler();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync(westHandler: handler);
        await east.SendAsync("west", "one");
        await east.SendAsync("west", "two");
        bool tampered = false;
        handler.Rewrite = (r, body) =>
        {
            if (tampered || !FaultHandler.Is(r, "GET", "/v1/messages"))
            {
                return null;
            }
            var json = System.Text.Json.Nodes.JsonNode.Parse(body)!;
            var first = json["messages"]![0]!;
            byte[] content = Convert.FromBase64String(first["content"]!.GetValue<string>());
            content[^1] ^= 0x01; // inside the MAC
            first["content"] = Convert.ToBase64String(content);
            tampered = true;
            return json.ToJsonString();
        };

        Assert.Equal(["two"], (await west.SyncAsync()).Select(m => m.Text));
        Assert.True(tampered);
        Assert.Equal(0, await west.PendingOnRelayAsync());
        await west.SendAsync("east", "still talking");
        Assert.Equal(["still talking"], (await east.SyncAsync()).Select(m => m.Text));
        await east.SendAsync("west", "three");
        Assert.Equal(["three"], (await west.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task One_time_prekeys_are_refilled_after_sync_when_the_relay_runs_low()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        Assert.Equal((100, 100), await east.RelayKeyCountAsync());
        // Each bundle fetch hands out one one-time key of each kind; two fetchers stay under the per-device rate limit.
        foreach (BackchannelClient fetcher in new[] { await s.NewAsync("f1"), await s.NewAsync("f2") })
        {
            for (int i = 0; i < 40; i++)
            {
                await fetcher.FetchBundleOfAsync(east.Account.Account);
            }
        }
        Assert.Equal((20, 20), await east.RelayKeyCountAsync());

        await east.SyncAsync();

        Assert.Equal((120, 120), await east.RelayKeyCountAsync());
    }

    [Fact]
    public async Task The_signed_prekey_is_rotated_after_a_week_and_new_sessions_use_it()
    {
        await using Scenario s = await Scenario.StartAsync();
        var clock = new ShiftedTime();
        BackchannelClient east = await s.NewAsync("east", time: clock);
        BackchannelClient probe = await s.NewAsync("probe");
        Assert.Equal(1u, await probe.FetchBundleOfAsync(east.Account.Account));
        await east.SyncAsync();
        Assert.Equal(1u, await probe.FetchBundleOfAsync(east.Account.Account)); // not yet a week old

        BackchannelClient early = await s.NewAsync("early");
        await early.AcceptAsync(east.CreateInvite()); // its introduction is built on signed prekey 1

        clock.Offset = TimeSpan.FromDays(8);
        await east.RefillPreKeysAsync();
        Assert.Equal(2u, await probe.FetchBundleOfAsync(east.Account.Account));
        await east.SyncAsync(); // the old signed prekey is still there for messages in flight
        Assert.Contains(east.Contacts(), c => c.Alias == "early");

        BackchannelClient west = await s.NewAsync("west");
        await west.AcceptAsync(east.CreateInvite());
        await west.SendAsync("east", "on the new signed prekey");
        Assert.Equal(["on the new signed prekey"], (await east.SyncAsync()).Select(m => m.Text));
    }

    private static long CountIncoming(string home)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(home, "backchannel.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using SqliteCommand cmd = db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM messages WHERE direction = 'in'";
        return (long)cmd.ExecuteScalar()!;
    }

    private static void SetKnownIdentity(string home, string account, byte[] key)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(home, "backchannel.db")};Pooling=False");
        db.Open();
        using SqliteCommand cmd = db.CreateCommand();
        cmd.CommandText = "UPDATE identities SET identity_key = $k WHERE name = $a";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$a", account);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }
}
