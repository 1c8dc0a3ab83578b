using Microsoft.Data.Sqlite;

namespace Backchannel.Client.Tests;

/// <summary>Sealed sender in the product: access keys in invites and introductions, sealed delivery, the trust root.</summary>
public sealed class SealedSenderTests
{
    /// <summary>Every column of every message row the relay holds for <paramref name="recipient"/>, as text.</summary>
    private static List<(bool Sealed, string? Source, List<string> Columns)> RelayRowsFor(Scenario s, string recipient)
    {
        string path = Path.Combine(s.Relay.DataDirectory, "relay.db");
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using SqliteCommand cmd = db.CreateCommand();
        cmd.CommandText = "SELECT * FROM messages WHERE account = $a";
        cmd.Parameters.AddWithValue("$a", recipient);
        using SqliteDataReader r = cmd.ExecuteReader();
        var rows = new List<(bool, string?, List<string>)>();
        while (r.Read())
        {
            var columns = new List<string>();
            for (int i = 0; i < r.FieldCount; i++)
            {
                object v = r.GetValue(i);
                columns.Add(v is byte[] b ? System.Text.Encoding.Latin1.GetString(b) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
            rows.Add((r.GetInt64(r.GetOrdinal("sealed")) != 0, r.IsDBNull(r.GetOrdinal("source")) ? null : r.GetString(r.GetOrdinal("source")), columns));
        }
        return rows;
    }

    /// <summary>Every row is sealed, has no source, and names the sender in none of its columns.</summary>
    private static void AssertSealedWithoutSender(List<(bool Sealed, string? Source, List<string> Columns)> rows, string sender) =>
        Assert.All(rows, row =>
        {
            Assert.True(row.Sealed);
            Assert.Null(row.Source);
            Assert.DoesNotContain(row.Columns, c => c.Contains(sender, StringComparison.OrdinalIgnoreCase));
        });

    [Fact]
    public async Task Messages_between_contacts_go_sealed_and_the_relay_stores_no_sender_for_them()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        string eastAccount = east.Account.Account;
        string westAccount = west.Account.Account;

        await east.SendAsync("west", "sealed one", "relations");
        await east.CreateChannelAsync("pair", ["west"]);
        await east.SendToChannelAsync("pair", "sealed channel text", "agenda");

        var rows = RelayRowsFor(s, westAccount);
        Assert.NotEmpty(rows);
        AssertSealedWithoutSender(rows, eastAccount);

        IReadOnlyList<ChatMessage> atWest = await west.SyncAsync();
        Assert.Equal(["sealed one", "sealed channel text"], atWest.Select(m => m.Text));
        Assert.All(atWest, m => Assert.Equal("east", m.From));
        Assert.Equal(["relations", "agenda"], atWest.Select(m => m.Topic));

        await west.SendAsync("east", "sealed reply");
        await west.SendToChannelAsync("pair", "sealed channel reply");
        var toEast = RelayRowsFor(s, eastAccount);
        Assert.NotEmpty(toEast);
        AssertSealedWithoutSender(toEast, westAccount);
        Assert.Equal(["sealed reply", "sealed channel reply"], (await east.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task Channel_members_who_never_exchanged_invites_send_each_other_sealed_on_vouched_access_keys()
    {
        await using Scenario s = await Scenario.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await s.PairAsync();
        BackchannelClient north = await s.NewAsync("north");
        await north.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        await east.CreateChannelAsync("talks", ["west", "north"]);
        await west.SyncAsync();
        await north.SyncAsync();
        string westAccount = west.Account.Account;
        string northAccount = north.Account.Account;

        // west and north met only through the channel: whatever north sends west (its sender key, the text) is sealed.
        await north.SendToChannelAsync("talks", "from north, sealed");
        var toWest = RelayRowsFor(s, westAccount);
        Assert.NotEmpty(toWest);
        AssertSealedWithoutSender(toWest, northAccount);
        Assert.Equal(["from north, sealed"], (await west.SyncAsync()).Select(m => m.Text));

        await west.SendToChannelAsync("talks", "from west, sealed");
        var toNorth = RelayRowsFor(s, northAccount);
        Assert.NotEmpty(toNorth);
        AssertSealedWithoutSender(toNorth, westAccount);
        Assert.Equal(["from west, sealed"], (await north.SyncAsync()).Select(m => m.Text));
        Assert.Equal(["from north, sealed", "from west, sealed"], (await east.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task Accept_refuses_an_invite_whose_trust_root_differs_from_the_relays()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient west = await s.NewAsync("west");
        Invite real = Invite.Parse(east.CreateInvite());
        Assert.NotNull(real.TrustRoot);
        Assert.Equal(16, real.AccessKey!.Length);
        byte[] other = (byte[])real.TrustRoot!.Clone();
        other[5] ^= 0x01;
        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(
            () => west.AcceptAsync((real with { TrustRoot = other }).Encode()));
        Assert.Equal(ErrorKinds.TrustRootMismatch, e.Kind);
        Assert.Empty(west.Contacts());
    }

    [Fact]
    public async Task An_old_invite_without_trust_root_or_access_key_still_works_and_messages_go_unsealed_until_keys_are_known()
    {
        await using Scenario s = await Scenario.StartAsync();
        BackchannelClient east = await s.NewAsync("east");
        BackchannelClient west = await s.NewAsync("west");
        Invite full = Invite.Parse(east.CreateInvite());
        Invite old = Invite.Parse((full with { TrustRoot = null, AccessKey = null }).Encode());
        Assert.Null(old.TrustRoot);
        Assert.Null(old.AccessKey);
        await west.AcceptAsync(old.Encode());
        await east.SyncAsync();
        Assert.Equal("west", Assert.Single(east.Contacts()).Alias);

        // West never got east's access key: its message goes the ordinary way (sender visible to the relay).
        await west.SendAsync("east", "unsealed");
        var row = Assert.Single(RelayRowsFor(s, east.Account.Account));
        Assert.False(row.Sealed);
        Assert.Equal(west.Account.Account, row.Source);
        Assert.Equal("unsealed", Assert.Single(await east.SyncAsync()).Text);
        // East learned west's key from the introduction: east's messages go sealed.
        await east.SendAsync("west", "sealed");
        Assert.True(Assert.Single(RelayRowsFor(s, west.Account.Account)).Sealed);
        Assert.Equal("sealed", Assert.Single(await west.SyncAsync()).Text);
    }
}
