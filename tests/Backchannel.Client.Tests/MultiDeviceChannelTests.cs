using Backchannel.Client.Messages;

namespace Backchannel.Client.Tests;

/// <summary>
/// Several devices per principal, for channels and history: east and west each link a second device; north is a
/// third principal who knows only east (invite) and meets west through the channel.
/// </summary>
public sealed class MultiDeviceChannelTests
{
    private static async Task<(BackchannelClient East, BackchannelClient West, BackchannelClient North)> ThreeAsync(Scenario s)
    {
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient north = await s.NewAsync("north");
        await north.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        return (east, west, north);
    }

    /// <summary>Every client syncs, <paramref name="rounds"/> times over; returns what each showed, by client.</summary>
    private static async Task<Dictionary<BackchannelClient, List<ChatMessage>>> SyncAllAsync(int rounds, params BackchannelClient[] clients)
    {
        var shown = clients.ToDictionary(c => c, _ => new List<ChatMessage>());
        for (int i = 0; i < rounds; i++)
        {
            foreach (BackchannelClient c in clients)
            {
                shown[c].AddRange(await c.SyncAsync());
            }
        }
        return shown;
    }

    private static List<(string Id, string Text, string Direction, string? Topic, DateTimeOffset SentAt, string From)> Rows(IEnumerable<ChatMessage> messages) =>
        messages.Select(m => (m.Id, m.Text, m.Direction, m.Topic, m.SentAt, m.From)).ToList();

    [Fact]
    public async Task A_linked_device_knows_existing_channels_and_gets_the_history_once_without_showing_it_as_new()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north) = await ThreeAsync(s);
        await east.SendAsync("west", "hello west", "plans");
        await west.SyncAsync();
        await west.SendAsync("east", "hello east");
        ChannelInfo created = await east.CreateChannelAsync("talks", ["west", "north"]);
        await SyncAllAsync(2, west, north, east);
        await west.SendToChannelAsync("talks", "from west", "agenda");
        await north.SendToChannelAsync("talks", "from north");
        await east.SendToChannelAsync("talks", "from east", "agenda");
        await SyncAllAsync(1, east, west, north);
        Assert.Equal(3, east.ReadChannel("talks").Count);

        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");

        // The channel is there at once: id, name, members with their names.
        ChannelInfo known = Assert.Single(east2.Channels());
        Assert.Equal((created.Id, "talks", true), (known.Id, known.Name, known.IsMember));
        Assert.Equal(["east", "north", "west"], known.Members);

        // The history arrives end to end encrypted, is stored, and is not shown as new messages.
        Assert.Empty(await east2.SyncAsync());
        Assert.Equal(Rows(east.Read("west")), Rows(east2.Read("west")));
        Assert.Equal(["hello west", "hello east"], east2.Read("west").Select(m => m.Text));
        Assert.Equal(Rows(east.ReadChannel("talks")), Rows(east2.ReadChannel("talks")));
        Assert.Equal([("from east", "east", "out", "agenda"), ("from north", "north", "in", null), ("from west", "west", "in", "agenda")],
            east2.ReadChannel("talks").Select(m => (m.Text, m.From, m.Direction, m.Topic)).Order());
        Assert.All(east2.ReadChannel("talks"), m => Assert.Equal("talks", m.Channel));
        Assert.DoesNotContain(east2.Read(), m => m.Text.StartsWith("from ", StringComparison.Ordinal)); // channel stays channel

        // Nothing twice: another sync shows nothing and stores nothing more.
        Assert.Empty(await east2.SyncAsync());
        Assert.Equal(2, east2.Read().Count);
        Assert.Equal(3, east2.ReadChannel("talks").Count);

        // West's second device, linked now, gets west's side of the same history, in the other direction.
        BackchannelClient west2 = await DeviceTests.LinkAsync(s, west, "west2");
        Assert.Empty(await west2.SyncAsync());
        Assert.Equal(Rows(west.Read("east")), Rows(west2.Read("east")));
        Assert.Equal(["in", "out"], west2.Read("east").Select(m => m.Direction));
        Assert.Equal(Rows(west.ReadChannel("talks")), Rows(west2.ReadChannel("talks")));
        Assert.Equal(east2.ReadChannel("talks").Select(m => m.Id).Order(), west2.ReadChannel("talks").Select(m => m.Id).Order());
    }

    /// <summary>A new device starts linking and <paramref name="existing"/> approves it, waiting only 300 ms for it to register.</summary>
    private static async Task<(BackchannelClient Fresh, BackchannelClient.PendingLink Link)> ApproveBeforeTheNewDeviceLinksAsync(
        Scenario s, BackchannelClient existing, string home)
    {
        BackchannelClient fresh = s.Open(home);
        BackchannelClient.PendingLink link = await fresh.StartLinkAsync(s.Relay.Url);
        existing.NewDeviceWait = TimeSpan.FromMilliseconds(300);
        await existing.ApproveAsync(link.Code);
        return (fresh, link);
    }

    [Fact]
    public async Task A_device_that_links_after_the_approval_stopped_waiting_gets_the_history_at_the_next_sync_once()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        await east.SendAsync("west", "before the link");
        await west.SyncAsync();
        await west.SendAsync("east", "reply before the link");

        // West approves, but the new device only finishes linking after the approval has stopped waiting.
        (BackchannelClient west2, BackchannelClient.PendingLink link) = await ApproveBeforeTheNewDeviceLinksAsync(s, west, "west2");
        using BackchannelClient.PendingLink _ = link;
        Assert.Contains(s.Notices, n => n.StartsWith("west: The new device has not finished linking yet", StringComparison.Ordinal));
        await west2.CompleteLinkAsync(link, "laptop", TimeSpan.FromSeconds(30));
        Assert.Empty(await west2.SyncAsync());
        Assert.Empty(west2.Read("east"));

        // West's next sync makes the copy it owes; the new device stores it without showing it.
        Assert.Empty(await west.SyncAsync());
        Assert.Empty(await west2.SyncAsync());
        Assert.Equal(Rows(west.Read("east")), Rows(west2.Read("east")));
        Assert.Equal(["before the link", "reply before the link"], west2.Read("east").Select(m => m.Text));

        // Once: later syncs send nothing more (a second copy would show as skipped duplicates, or as more pages).
        await west.SendAsync("east", "after the link");
        await west.SyncAsync();
        await west.SyncAsync();
        Assert.Equal(["after the link"], (await west2.SyncAsync()).Select(m => m.Text));
        Assert.Equal(3, west2.Read("east").Count);
        Assert.Empty(await west2.SyncAsync());
    }

    [Fact]
    public async Task A_history_copy_owed_to_a_device_that_never_links_is_dropped_after_a_week()
    {
        await using Scenario s = await Scenario.StartAsync();
        var clock = new ShiftedTime();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient west = await s.NewAsync("west", time: clock);
        await west.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        await west.SendAsync("east", "before the link");

        (BackchannelClient west2, BackchannelClient.PendingLink link) = await ApproveBeforeTheNewDeviceLinksAsync(s, west, "west2");
        using BackchannelClient.PendingLink _ = link;

        // Six days on, still owed; eight days on, dropped with a notice, and a device linking now gets nothing.
        clock.Offset = TimeSpan.FromDays(6);
        await west.SyncAsync();
        Assert.DoesNotContain(s.Notices, n => n.Contains("never finished linking", StringComparison.Ordinal));
        clock.Offset = TimeSpan.FromDays(8);
        await west.SyncAsync();
        Assert.Contains(s.Notices, n => n.StartsWith("west: A device approved here never finished linking", StringComparison.Ordinal));
        await west2.CompleteLinkAsync(link, "laptop", TimeSpan.FromSeconds(30));
        await west.SyncAsync();
        Assert.Empty(await west2.SyncAsync());
        Assert.Empty(west2.Read("east"));
    }

    [Fact]
    public async Task A_long_history_arrives_in_several_pages_with_nothing_duplicated()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        string filler = new('x', 3000);
        for (int i = 0; i < 40; i++)
        {
            await east.SendAsync("west", $"{i:00} {filler}", i % 2 == 0 ? "even" : null);
        }
        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");

        int pages = (await east2.PeekRelayAsync()).Count;
        Assert.True(pages >= 3, $"120 KB of history should take several pages, took {pages}");
        Assert.Empty(await east2.SyncAsync());
        Assert.Equal(Rows(east.Read("west", limit: 100)), Rows(east2.Read("west", limit: 100)));
        Assert.Equal(20, east2.Read("west", "even", limit: 100).Count);
        Assert.Equal(0, await east2.PendingOnRelayAsync());
    }

    [Fact]
    public async Task Channel_changes_made_on_one_device_show_on_the_other()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north) = await ThreeAsync(s);
        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");
        BackchannelClient west2 = await DeviceTests.LinkAsync(s, west, "west2");
        await SyncAllAsync(1, east2, west2);

        // Made on east's first device: east's other device and both of west's devices know it.
        ChannelInfo created = await east.CreateChannelAsync("later", ["west"]);
        await SyncAllAsync(1, east2, west, west2);
        foreach (BackchannelClient c in new[] { east2, west, west2 })
        {
            ChannelInfo there = Assert.Single(c.Channels());
            Assert.Equal((created.Id, "later", true), (there.Id, there.Name, there.IsMember));
            Assert.Equal(["east", "west"], there.Members);
        }

        await east.AddChannelMemberAsync("later", "north");
        await SyncAllAsync(1, east2, west, west2, north);
        foreach (BackchannelClient c in new[] { east2, west, west2, north })
        {
            Assert.Equal(["east", "north", "west"], Assert.Single(c.Channels()).Members);
        }

        await east.RemoveChannelMemberAsync("later", "west");
        await SyncAllAsync(1, east2, west, west2, north);
        foreach (BackchannelClient c in new[] { east2, north })
        {
            Assert.Equal(["east", "north"], Assert.Single(c.Channels()).Members);
        }
        Assert.All(new[] { west, west2 }, c => Assert.False(Assert.Single(c.Channels()).IsMember));

        // And the other way: a channel made on the new device shows on the first.
        ChannelInfo made = await east2.CreateChannelAsync("from-laptop", ["north"]);
        await east.SyncAsync();
        Assert.Equal(["east", "north"], Assert.Single(east.Channels(), c => c.Id == made.Id).Members);
        await SyncAllAsync(2, west, north);
        Assert.Single(west.Channels());
        Assert.Equal(["from-laptop", "later"], north.Channels().Select(c => c.Name).Order());
    }

    [Fact]
    public async Task Channel_messages_reach_every_device_of_every_member_and_own_sends_show_as_outgoing()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north) = await ThreeAsync(s);
        await east.CreateChannelAsync("talks", ["west", "north"]);
        await SyncAllAsync(2, west, north, east);
        // Every sender key is distributed before the new devices exist.
        await east.SendToChannelAsync("talks", "before the laptops");
        await west.SendToChannelAsync("talks", "west before the laptops");
        await north.SendToChannelAsync("talks", "north before the laptops");
        await SyncAllAsync(1, east, west, north);

        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");
        BackchannelClient west2 = await DeviceTests.LinkAsync(s, west, "west2");
        BackchannelClient[] all = [east, east2, west, west2, north];
        await SyncAllAsync(2, all);
        Assert.Equal(3, west2.ReadChannel("talks").Count); // the history came along

        await west.SendToChannelAsync("talks", "from west's first device", "agenda");
        Dictionary<BackchannelClient, List<ChatMessage>> shown = await SyncAllAsync(2, all);
        foreach (BackchannelClient c in new[] { east, east2, north })
        {
            ChatMessage got = Assert.Single(shown[c]);
            Assert.Equal(("from west's first device", "in", "west", "agenda", "talks"), (got.Text, got.Direction, got.From, got.Topic, got.Channel));
        }
        ChatMessage mirrored = Assert.Single(shown[west2]);
        Assert.Equal(("from west's first device", "out", "west", "talks"), (mirrored.Text, mirrored.Direction, mirrored.From, mirrored.Channel));
        Assert.Empty(shown[west]);

        SendResult fromLaptop = await east2.SendToChannelAsync("talks", "from east's laptop");
        Assert.Equal(MessageStatus.Sent, fromLaptop.Status);
        shown = await SyncAllAsync(2, all);
        Assert.Equal([("from east's laptop", "out")], shown[east].Select(m => (m.Text, m.Direction)));
        foreach (BackchannelClient c in new[] { west, west2, north })
        {
            Assert.Equal([("from east's laptop", "in", "east")], shown[c].Select(m => (m.Text, m.Direction, m.From)));
        }
        Assert.Empty(shown[east2]);

        await north.SendToChannelAsync("talks", "from north");
        shown = await SyncAllAsync(2, all);
        foreach (BackchannelClient c in new[] { east, east2, west, west2 })
        {
            Assert.Equal([("from north", "in", "north")], shown[c].Select(m => (m.Text, m.Direction, m.From)));
        }

        // Every device shows the whole conversation, under the same ids.
        List<(string Id, string Text)> reference = east.ReadChannel("talks").Select(m => (m.Id, m.Text)).Order().ToList();
        Assert.Equal(6, reference.Count);
        foreach (BackchannelClient c in all)
        {
            Assert.Equal(reference, c.ReadChannel("talks").Select(m => (m.Id, m.Text)).Order().ToList());
        }
        foreach (BackchannelClient c in new[] { east, east2 })
        {
            Assert.Equal(["before the laptops", "from east's laptop"], c.ReadChannel("talks").Where(m => m.Direction == "out").Select(m => m.Text).Order());
        }
        Assert.Equal(fromLaptop.Id, Assert.Single(east.ReadChannel("talks"), m => m.Text == "from east's laptop").Id);
    }

    [Fact]
    public async Task A_removed_device_gets_nothing_new_and_the_members_rotate_their_sender_keys()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north) = await ThreeAsync(s);
        await east.CreateChannelAsync("talks", ["west", "north"]);
        await SyncAllAsync(2, west, north, east);
        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");
        await SyncAllAsync(2, east2, west, north, east);
        await west.SendToChannelAsync("talks", "before removal");
        await SyncAllAsync(1, east, east2, north);
        Assert.Contains(east2.ReadChannel("talks"), m => m.Text == "before removal");

        await east.RemoveDeviceAsync(2);
        // West's device list is fresh from its last send: the relay's refusal of the removed device tells it.
        Assert.Equal(MessageStatus.Sent, (await west.SendToChannelAsync("talks", "first after removal")).Status);
        Assert.Equal(MessageStatus.Sent, (await west.SendToChannelAsync("talks", "second after removal")).Status);
        Assert.Equal(MessageStatus.Sent, (await west.SendAsync("east", "one to one after removal")).Status);

        // West rotated its sender key when the relay refused the removed device. Take west's channel ciphertexts
        // from north's mailbox (sealed: north opens the sealed layer to get them): the removed device's state still
        // opens the first, encrypted before west noticed (the relay never gave it to that device), but not the second,
        // under the new chain. North reads both below.
        var fromWest = (await north.PeekChannelMessagesFromAsync(west.Account.Account)).Select(m => m.SenderKeyMessage).ToList();
        Assert.Equal(2, fromWest.Count);
        Assert.NotNull(east2.TryGroupDecrypt(west.Account.Account, 1, fromWest[0]));
        Assert.Null(east2.TryGroupDecrypt(west.Account.Account, 1, fromWest[1]));
        BackchannelException refused = await Assert.ThrowsAsync<BackchannelException>(() => east2.SyncAsync());
        Assert.Equal(ErrorKinds.RelayError, refused.Kind);

        await SyncAllAsync(1, east, north);
        Assert.Equal(["before removal", "first after removal", "second after removal"],
            east.ReadChannel("talks").Select(m => m.Text));
        Assert.Equal(["before removal", "first after removal", "second after removal"],
            north.ReadChannel("talks").Select(m => m.Text));
        Assert.DoesNotContain(east2.ReadChannel("talks"), m => m.Text.Contains("after removal", StringComparison.Ordinal));
        Assert.DoesNotContain(east2.Read(), m => m.Text.Contains("after removal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task History_and_transcripts_are_taken_only_from_our_own_devices_and_only_for_what_this_device_knows()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north) = await ThreeAsync(s);
        BackchannelClient east2 = await DeviceTests.LinkAsync(s, east, "east2");
        await east2.SendAsync("west", "from the laptop"); // the laptop now has a session with east's first device
        await east.SyncAsync();
        await west.SyncAsync();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string Id() => Guid.NewGuid().ToString();

        // A contact cannot pass itself off as one of east's devices.
        await west.SendEnvelopeAsync(east.Account.Account, new Envelope
        {
            Id = Id(), Kind = Envelope.KindHistory, SentAt = now,
            History = [new HistoryEntry(Id(), north.Account.Account, "in", null, "forged history", now, null)],
        });
        await west.SendEnvelopeAsync(east.Account.Account, new Envelope
        {
            Id = Id(), Kind = Envelope.KindTranscript, SentAt = now, Text = "forged transcript", To = north.Account.Account,
        });
        int before = east.Read(limit: 100).Count;
        Assert.Empty(await east.SyncAsync());
        Assert.Equal(before, east.Read(limit: 100).Count);
        Assert.Equal(2, s.Notices.Count(n => n.StartsWith("east: Dropped a transcript or history page that did not come", StringComparison.Ordinal)));

        // From our own device: what names a contact is stored (once, however often it comes); an unknown account or
        // channel is skipped.
        string copied = Id();
        await east2.SendEnvelopeAsync(east.Account.Account, new Envelope
        {
            Id = Id(), Kind = Envelope.KindHistory, SentAt = now,
            History =
            [
                new HistoryEntry(copied, west.Account.Account, "in", "plans", "copied", now, null),
                new HistoryEntry(Id(), Id(), "in", null, "unknown account", now, null),
                new HistoryEntry(Id(), north.Account.Account, "in", null, "unknown channel", now, Id()),
                new HistoryEntry(copied, west.Account.Account, "in", "plans", "copied", now, null),
            ],
        });
        Assert.Empty(await east.SyncAsync());
        ChatMessage stored = Assert.Single(east.Read("west", limit: 100), m => m.Id == copied);
        Assert.Equal(("copied", "in", "plans"), (stored.Text, stored.Direction, stored.Topic));
        Assert.Equal(before + 1, east.Read(limit: 100).Count);
        Assert.Contains("east: Skipped 2 copied message(s) about a contact or channel this device does not know.", s.Notices);
    }
}
