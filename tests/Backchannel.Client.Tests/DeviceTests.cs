namespace Backchannel.Client.Tests;

/// <summary>Multi-device: link a device with a code, approve it, messages to and from both devices, list and remove.</summary>
public sealed class DeviceTests
{
    /// <summary>West links a second device ("west2") approved from its first; returns it.</summary>
    internal static async Task<BackchannelClient> LinkAsync(Scenario s, BackchannelClient existing, string home, string? deviceName = "laptop")
    {
        BackchannelClient fresh = s.Open(home);
        using BackchannelClient.PendingLink link = await fresh.StartLinkAsync(s.Relay.Url);
        Assert.StartsWith(BackchannelClient.LinkCodePrefix, link.Code, StringComparison.Ordinal);
        Task<AccountInfo> completing = fresh.CompleteLinkAsync(link, deviceName, TimeSpan.FromSeconds(30));
        await existing.ApproveAsync(link.Code);
        AccountInfo linked = await completing;
        Assert.Equal(existing.Account.Account, linked.Account);
        Assert.Equal(existing.Account.IdentityKey, linked.IdentityKey);
        Assert.Equal(existing.Account.Name, linked.Name);
        Assert.Equal(2, linked.Device);
        return fresh;
    }

    [Fact]
    public async Task A_linked_device_gets_the_identity_and_contacts_and_both_devices_talk_with_a_contact()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient west2 = await LinkAsync(s, west, "west2");

        ContactInfo contact = Assert.Single(west2.Contacts());
        Assert.Equal("east", contact.Alias);
        Assert.Equal(east.Account.Account, contact.Account);
        Assert.Equal(Assert.Single(west.Contacts()).SafetyNumber, contact.SafetyNumber);

        // East's next send picks up the new device: both of west's devices receive it.
        await east.SendAsync("west", "to every device");
        Assert.Equal(["to every device"], (await west.SyncAsync()).Select(m => m.Text));
        Assert.Equal(["to every device"], (await west2.SyncAsync()).Select(m => m.Text));

        // The contact sees messages from the new device, as from west.
        await west2.SendAsync("east", "from the laptop");
        ChatMessage got = Assert.Single(await east.SyncAsync());
        Assert.Equal("from the laptop", got.Text);
        Assert.Equal("west", got.From);

        // And east's replies reach both devices, the first one included.
        await east.SendAsync("west", "reply");
        IReadOnlyList<ChatMessage> atWest = await west.SyncAsync();
        // West also gets the transcript of what its laptop sent, as outgoing.
        Assert.Equal([("from the laptop", "out"), ("reply", "in")], atWest.Select(m => (m.Text, m.Direction)));
        Assert.Equal(["reply"], (await west2.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task What_one_device_sends_shows_on_the_other_as_outgoing()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient west2 = await LinkAsync(s, west, "west2");

        SendResult first = await west.SendAsync("east", "from the desktop", "plans");
        Assert.Equal(MessageStatus.Sent, first.Status);
        await west2.SyncAsync();
        ChatMessage mirrored = Assert.Single(west2.Read("east"));
        Assert.Equal((first.Id, "from the desktop", "out", "plans", "west"), (mirrored.Id, mirrored.Text, mirrored.Direction, mirrored.Topic, mirrored.From));

        await west2.SendAsync("east", "from the laptop");
        await west.SyncAsync();
        Assert.Equal(["from the desktop", "from the laptop"], west.Read("east").Select(m => m.Text));
        Assert.All(west.Read("east"), m => Assert.Equal("out", m.Direction));

        // East sees both, from west, exactly once each; and the transcripts never reach the contact.
        Assert.Equal(["from the desktop", "from the laptop"], (await east.SyncAsync()).Select(m => m.Text));
        Assert.All(east.Read("west"), m => Assert.Equal("in", m.Direction));

        // A reply lands in the same conversation on both devices.
        await east.SendAsync("west", "noted");
        await west.SyncAsync();
        await west2.SyncAsync();
        Assert.Equal(["from the desktop", "from the laptop", "noted"], west.Read("east").Select(m => m.Text));
        Assert.Equal(["from the desktop", "from the laptop", "noted"], west2.Read("east").Select(m => m.Text));
    }

    [Fact]
    public async Task Device_list_shows_both_and_a_removed_device_is_refused()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient west2 = await LinkAsync(s, west, "west2", "laptop");

        IReadOnlyList<DeviceInfo> devices = await west.DevicesAsync();
        Assert.Equal([1, 2], devices.Select(d => d.Device));
        Assert.Equal([true, false], devices.Select(d => d.Current));
        Assert.Equal("laptop", devices[1].Name);
        Assert.Equal([false, true], (await west2.DevicesAsync()).Select(d => d.Current));

        await west.RemoveDeviceAsync(2);
        Assert.Equal([1], (await west.DevicesAsync()).Select(d => d.Device));
        BackchannelException refused = await Assert.ThrowsAsync<BackchannelException>(() => west2.DevicesAsync());
        Assert.Equal(ErrorKinds.RelayError, refused.Kind);
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);

        // East's sends still work: the removed device is dropped, not a 404 for the whole send.
        await east.SendAsync("west", "after removal");
        Assert.Equal(["after removal"], (await west.SyncAsync()).Select(m => m.Text));

        // The only device left cannot be removed.
        BackchannelException only = await Assert.ThrowsAsync<BackchannelException>(() => west.RemoveDeviceAsync(1));
        Assert.Equal(ErrorKinds.BadRequest, only.Kind);
    }

    [Fact]
    public async Task Approving_a_bad_code_or_linking_an_initialised_home_fails_cleanly()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient west = await s.NewAsync("west");
        BackchannelException bad = await Assert.ThrowsAsync<BackchannelException>(() => west.ApproveAsync("bcl1.nonsense"));
        Assert.Equal(ErrorKinds.BadRequest, bad.Kind);
        BackchannelException used = await Assert.ThrowsAsync<BackchannelException>(() => west.StartLinkAsync(s.Relay.Url));
        Assert.Equal(ErrorKinds.AlreadyInitialised, used.Kind);

        BackchannelClient fresh = s.Open("fresh");
        using BackchannelClient.PendingLink link = await fresh.StartLinkAsync(s.Relay.Url);
        BackchannelException timedOut = await Assert.ThrowsAsync<BackchannelException>(
            () => fresh.CompleteLinkAsync(link, null, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(ErrorKinds.LinkTimeout, timedOut.Kind);
        Assert.False(fresh.IsInitialised);
    }
}
