namespace Backchannel.Client.Tests;

/// <summary>Channels with several principals (sender keys over pairwise sessions) against the real relay library.</summary>
public sealed class MultiPartyChannelTests
{
    /// <summary>
    /// East knows west, north and south (invites); they do not know each other and learn of one another through
    /// the channel, under the identity keys east vouched for.
    /// </summary>
    private static async Task<(BackchannelClient East, BackchannelClient West, BackchannelClient North, BackchannelClient South)> FourAsync(Scenario s)
    {
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient north = await s.NewAsync("north");
        BackchannelClient south = await s.NewAsync("south");
        await north.AcceptAsync(east.CreateInvite());
        await south.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        return (east, west, north, south);
    }

    private static async Task<List<ChatMessage>> SyncAllAsync(int rounds, params BackchannelClient[] clients)
    {
        var shown = new List<ChatMessage>();
        for (int i = 0; i < rounds; i++)
        {
            foreach (BackchannelClient c in clients)
            {
                shown.AddRange(await c.SyncAsync());
            }
        }
        return shown;
    }

    [Fact]
    public async Task Four_principals_talk_in_a_channel_each_message_shown_once_with_topics()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north, BackchannelClient south) = await FourAsync(s);

        ChannelInfo created = await east.CreateChannelAsync("ny-channel", ["west", "north", "south"]);
        Assert.True(Guid.TryParse(created.Id, out _));
        Assert.Equal(["east", "north", "south", "west"], created.Members);
        await SyncAllAsync(2, west, north, south, east);

        // Members who met through the channel are contacts now, under the vouched identities.
        Assert.Contains(west.Contacts(), c => c.Alias == "north" && c.Account == north.Account.Account);
        Assert.Contains(north.Contacts(), c => c.Alias == "south" && c.Account == south.Account.Account);
        ChannelInfo atSouth = Assert.Single(south.Channels());
        Assert.Equal(created.Id, atSouth.Id);
        Assert.Equal("ny-channel", atSouth.Name);
        Assert.Equal(4, atSouth.Members.Count);

        Assert.Equal(MessageStatus.Sent, (await east.SendToChannelAsync("ny-channel", "opening", "relations")).Status);
        await west.SendToChannelAsync("ny-channel", "from west", "detainees");
        await north.SendToChannelAsync("ny-channel", "from north");
        await south.SendToChannelAsync("ny-channel", "from south", "relations");
        List<ChatMessage> shown = await SyncAllAsync(2, east, west, north, south);
        Assert.Equal(12, shown.Count); // each of four messages to three others, once each
        Assert.All(shown, m => Assert.Equal("ny-channel", m.Channel));

        foreach (BackchannelClient c in new[] { east, west, north, south })
        {
            IReadOnlyList<ChatMessage> history = c.ReadChannel("ny-channel");
            Assert.Equal(["from north", "from south", "from west", "opening"], history.Select(m => m.Text).Order());
            Assert.Equal(4, history.Select(m => m.Id).Distinct().Count());
            Assert.Equal(["from south", "opening"], c.ReadChannel("ny-channel", "relations").Select(m => m.Text).Order());
            Assert.DoesNotContain(c.Read(), m => m.Text == "opening"); // 1:1 history stays 1:1
        }
        Assert.Equal("west", Assert.Single(east.ReadChannel("ny-channel", "detainees")).From);
        Assert.Equal("east", Assert.Single(west.ReadChannel("ny-channel", "relations"), m => m.Text == "opening").From);
    }

    [Fact]
    public async Task A_removed_member_reads_nothing_sent_after_removal_while_the_others_keep_reading()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north, BackchannelClient south) = await FourAsync(s);
        await east.CreateChannelAsync("ny-channel", ["west", "north", "south"]);
        await SyncAllAsync(2, west, north, south, east);
        await west.SendToChannelAsync("ny-channel", "before removal", "agenda");
        await SyncAllAsync(1, east, north, south);
        Assert.Contains(south.ReadChannel("ny-channel"), m => m.Text == "before removal");

        ChannelInfo after = await east.RemoveChannelMemberAsync("ny-channel", "south");
        Assert.DoesNotContain("south", after.Members);
        await SyncAllAsync(2, west, north, south, east);
        ChannelInfo atSouth = Assert.Single(south.Channels());
        Assert.False(atSouth.IsMember);
        var refused = await Assert.ThrowsAsync<BackchannelException>(() => south.SendToChannelAsync("ny-channel", "still here?"));
        Assert.Equal(ErrorKinds.NotMember, refused.Kind);

        // West sends after the removal; before north syncs, take the ciphertext from north's mailbox.
        await west.SendToChannelAsync("ny-channel", "after removal", "agenda");
        await east.SendToChannelAsync("ny-channel", "east after removal");
        // (north and west met through the channel, so it arrives sealed; north opens the sealed layer to get it.)
        byte[] leaked = Assert.Single(await north.PeekChannelMessagesFromAsync(west.Account.Account)).SenderKeyMessage;
        Assert.NotNull(north.TryGroupDecrypt(west.Account.Account, 1, leaked));
        // Even holding the ciphertext, south cannot decrypt it: west's old chain is gone from use.
        Assert.Null(south.TryGroupDecrypt(west.Account.Account, 1, leaked));

        await SyncAllAsync(2, east, west, north, south);
        Assert.Equal(0, await south.PendingOnRelayAsync());
        Assert.DoesNotContain(south.ReadChannel("ny-channel"), m => m.Text.Contains("after removal", StringComparison.Ordinal));
        Assert.Equal(["before removal", "after removal", "east after removal"],
            north.ReadChannel("ny-channel").Select(m => m.Text));
        Assert.Equal(["before removal", "after removal"], east.ReadChannel("ny-channel", "agenda").Select(m => m.Text));
        Assert.Equal(["before removal", "after removal", "east after removal"], west.ReadChannel("ny-channel").Select(m => m.Text));

        // Every remaining member rotated: north's new messages are unreadable to south too.
        await north.SendToChannelAsync("ny-channel", "north after removal");
        byte[] fromNorth = Assert.Single(await west.PeekChannelMessagesFromAsync(north.Account.Account)).SenderKeyMessage;
        Assert.NotNull(west.TryGroupDecrypt(north.Account.Account, 1, fromNorth));
        Assert.Null(south.TryGroupDecrypt(north.Account.Account, 1, fromNorth));
        await SyncAllAsync(1, east, west);
        Assert.Equal("north after removal", west.ReadChannel("ny-channel")[^1].Text);
        Assert.Equal("north after removal", east.ReadChannel("ny-channel")[^1].Text);
    }

    [Fact]
    public async Task A_member_added_later_gets_every_sender_key_and_reads_new_messages()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west, BackchannelClient north, _) = await FourAsync(s);
        await east.CreateChannelAsync("talks", ["west"]);
        await SyncAllAsync(2, west, east);
        await east.AddChannelMemberAsync("talks", "north");
        await SyncAllAsync(2, north, west, east);
        await west.SendToChannelAsync("talks", "welcome north");
        await north.SendToChannelAsync("talks", "thanks");
        await SyncAllAsync(1, east, west, north);
        Assert.Equal(["thanks", "welcome north"], east.ReadChannel("talks").Select(m => m.Text).Order());
        Assert.Equal(["thanks", "welcome north"], north.ReadChannel("talks").Select(m => m.Text).Order());
        Assert.Equal(["thanks", "welcome north"], west.ReadChannel("talks").Select(m => m.Text).Order());
        Assert.Equal(3, Assert.Single(north.Channels()).Members.Count);
    }
}
