using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>The real executable against a real relay process on loopback.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bc-e2e-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly List<RelayProcess> _relays = [];

    public EndToEndTests()
    {
        Directory.CreateDirectory(_root);
    }

    private string RelayData => Path.Combine(_root, "relay-data");

    [Fact]
    public async Task Invite_accept_and_topics_work_through_the_real_executable()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west) = await PairAsync(relay);

        Assert.Equal("sent", await east.SendAsync("west", "consular contacts", "relations"));
        Assert.Equal("sent", await east.SendAsync("west", "two journalists", "detainees"));
        // Global options after the subcommand work too.
        Cli.Result afterwards = await Cli.RunAsync("sync", "--home", west.Home, "--json");
        IReadOnlyList<JsonObject> got = afterwards.Ok().JsonLines;
        Assert.Equal(["consular contacts", "two journalists"], got.Select(m => m.Text("text")));
        Assert.Equal(["relations", "detainees"], got.Select(m => m.Text("topic")));
        Assert.All(got, m => Assert.Equal("east", m.Text("from")));
        Assert.All(got, m => Assert.True(DateTimeOffset.TryParse(m.Text("sentAt"), out _)));

        Cli.Result fromStdin = await Cli.RunAsync(["--home", west.Home, "--json", "send", "east", "-", "--topic", "detainees"],
            stdin: "reply read from stdin\n");
        Assert.Equal("sent", fromStdin.Ok().Single.Text("status"));
        await east.SyncAsync();

        IReadOnlyList<JsonObject> detainees = await east.ReadAsync("west", "--topic", "detainees");
        Assert.Equal(["two journalists", "reply read from stdin"], detainees.Select(m => m.Text("text")));
        Assert.Equal(["out", "in"], detainees.Select(m => m.Text("direction")));
        Assert.Equal(["east", "west"], detainees.Select(m => m.Text("from")));
        IReadOnlyList<JsonObject> relations = await east.ReadAsync("--topic", "relations");
        Assert.Equal("consular contacts", Assert.Single(relations).Text("text"));
        JsonObject mine = Assert.Single(await east.ReadAsync(), m => m.Text("text") == "consular contacts");
        Assert.Equal(("out", "east"), (mine.Text("direction"), mine.Text("from")));

        JsonObject eastContact = Assert.Single((await east.RunAsync("contacts")).Ok().JsonLines);
        JsonObject westContact = Assert.Single((await west.RunAsync("contacts")).Ok().JsonLines);
        Assert.Equal(eastContact.Text("safetyNumber"), westContact.Text("safetyNumber"));
        Assert.Matches("^([0-9]{5} ){11}[0-9]{5}$", eastContact.Text("safetyNumber"));
        Assert.False(eastContact["verified"]!.GetValue<bool>());
        JsonObject verified = (await east.RunAsync("verify", "west", "--confirm")).Ok().Single;
        Assert.True(verified["verified"]!.GetValue<bool>());
        Assert.Equal(eastContact.Text("safetyNumber"), verified.Text("safetyNumber"));
    }

    [Fact]
    public async Task Hundreds_of_messages_each_way_are_each_in_history_exactly_once()
    {
        // 305 messages to one recipient in well under a minute: above the relay's default per-recipient rate
        // (300/min), so this relay is configured (as any operator may) to allow the burst.
        RelayProcess relay = await StartRelayAsync(new Dictionary<string, string>
        {
            ["Relay__Limits__MessagesPerRecipientPerMinute"] = "1000",
        });
        (Party east, Party west) = await PairAsync(relay);
        var sent = new List<string>();
        var syncedAtEast = new List<JsonObject>();
        var syncedAtWest = new List<JsonObject>();

        // A few single sends through separate processes, interleaved with syncs…
        for (int i = 0; i < 5; i++)
        {
            foreach ((Party from, string to) in new[] { (east, "west"), (west, "east") })
            {
                string text = $"{from.Name} single {i}";
                Assert.Equal("sent", await from.SendAsync(to, text, i % 2 == 0 ? "relations" : "detainees"));
                sent.Add(text);
            }
            syncedAtEast.AddRange(await east.SyncAsync());
            syncedAtWest.AddRange(await west.SyncAsync());
        }
        // …then bulk sends (one process per batch of lines) so that each side has a few hundred waiting: the
        // receiver drains the mailbox page after page.
        for (int batch = 0; batch < 3; batch++)
        {
            foreach ((Party from, string to) in new[] { (east, "west"), (west, "east") })
            {
                List<string> texts = [.. Enumerable.Range(0, 100).Select(i => $"{from.Name} bulk {batch}-{i}")];
                Cli.Result r = await Cli.RunAsync(["--home", from.Home, "--json", "send", to, "-", "--lines", "--topic", "relations"],
                    stdin: string.Join('\n', texts) + "\n", timeout: TimeSpan.FromSeconds(90));
                Assert.All(r.Ok().JsonLines, o => Assert.Equal("sent", o.Text("status")));
                Assert.Equal(100, r.JsonLines.Count);
                sent.AddRange(texts);
            }
        }
        syncedAtEast.AddRange(await east.SyncAsync());
        syncedAtWest.AddRange(await west.SyncAsync());
        syncedAtEast.AddRange(await east.SyncAsync()); // nothing new: nothing shown twice
        syncedAtWest.AddRange(await west.SyncAsync());

        string[] toEast = [.. sent.Where(t => t.StartsWith("west", StringComparison.Ordinal))];
        string[] toWest = [.. sent.Where(t => t.StartsWith("east", StringComparison.Ordinal))];
        Assert.Equal(305, toEast.Length);
        Assert.Equal(toEast, syncedAtEast.Select(m => m.Text("text")));
        Assert.Equal(toWest, syncedAtWest.Select(m => m.Text("text")));

        foreach (Party p in new[] { east, west })
        {
            IReadOnlyList<JsonObject> history = await p.ReadAsync();
            Assert.Equal(sent.Count, history.Count);
            Assert.Equal(history.Count, history.Select(m => m.Text("id")).Distinct().Count());
            Assert.Equal(sent.Order(StringComparer.Ordinal), history.Select(m => m.Text("text")).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_relay_killed_with_SIGKILL_after_acknowledged_sends_loses_nothing()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west) = await PairAsync(relay);
        string[] texts = [.. Enumerable.Range(0, 20).Select(i => $"acknowledged {i}")];
        Cli.Result r = await Cli.RunAsync(["--home", east.Home, "--json", "send", "west", "-", "--lines"], stdin: string.Join('\n', texts));
        Assert.All(r.Ok().JsonLines, o => Assert.Equal("sent", o.Text("status")));

        relay.KillHard();
        _relays.Add(await relay.RestartAsync());

        Assert.Equal(texts, (await west.SyncAsync()).Select(m => m.Text("text")));
        Assert.Equal("sent", await west.SendAsync("east", "after the restart"));
        Assert.Equal("after the restart", Assert.Single(await east.SyncAsync()).Text("text"));
    }

    [Fact]
    public async Task Sends_while_the_relay_is_down_are_queued_and_delivered_by_sync_after_restart()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west) = await PairAsync(relay);
        relay.KillHard();

        var clock = Stopwatch.StartNew();
        Cli.Result queued = await east.RunAsync("send", "west", "written while the relay was down", "--topic", "detainees");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal("queued", queued.Ok().Single.Text("status"));
        Assert.Equal("queued", await east.SendAsync("west", "and another"));
        Cli.Result unreachable = await west.RunAsync("sync");
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Equal("RelayUnreachable", unreachable.Single.Text("error"));

        _relays.Add(await relay.RestartAsync());
        Assert.Empty(await east.SyncAsync()); // delivers the outbox
        IReadOnlyList<JsonObject> got = await west.SyncAsync();
        Assert.Equal(["written while the relay was down", "and another"], got.Select(m => m.Text("text")));
        Assert.Equal("detainees", got[0].Text("topic"));
    }

    [Fact]
    public async Task Watch_prints_pushed_messages_and_watch_and_relay_stop_cleanly_on_signals()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west) = await PairAsync(relay);
        using Process watch = Process.Start(Cli.StartInfo(["--home", west.Home, "--json", "watch"]))!;
        try
        {
            var stderr = new System.Text.StringBuilder();
            var connected = new TaskCompletionSource();
            watch.ErrorDataReceived += (_, e) =>
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
                if (e.Data == "connected")
                {
                    connected.TrySetResult();
                }
            };
            watch.BeginErrorReadLine();
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await east.SendAsync("west", "pushed over the socket", "relations");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line = await watch.StandardOutput.ReadLineAsync(cts.Token);
            JsonObject message = JsonNode.Parse(line!)!.AsObject();
            Assert.Equal(("pushed over the socket", "east", "relations"), (message.Text("text"), message.Text("from"), message.Text("topic")));

            Assert.Equal(0, Signal(watch, "INT"));
            await watch.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, watch.ExitCode);
            Assert.Empty(await west.SyncAsync()); // acknowledged by the watcher, not shown again
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill(entireProcessTree: true);
            }
        }

        var clock = Stopwatch.StartNew();
        Assert.True(relay.Terminate(TimeSpan.FromSeconds(30)), "the relay did not exit within 30 s of SIGTERM");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    private static int Signal(Process process, string signal)
    {
        using Process kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit(5000);
        return kill.ExitCode;
    }

    [Fact]
    public async Task Demo_exits_zero_without_touching_the_configured_home()
    {
        string home = Path.Combine(_root, "untouched-home");
        var clock = Stopwatch.StartNew();
        Cli.Result demo = await Cli.RunAsync(["demo"], timeout: TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string> { ["BACKCHANNEL_HOME"] = home });
        demo.Ok();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"demo took {clock.Elapsed}");
        Assert.Contains("no plaintext found", demo.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home));
    }

    [Fact]
    public async Task Failures_are_reported_as_json_errors_with_a_non_zero_exit()
    {
        var nobody = new Party("nobody", Path.Combine(_root, "nobody"));
        Cli.Result notInit = await nobody.RunAsync("contacts");
        Assert.Equal(("NotInitialised", 1), (notInit.Single.Text("error"), notInit.ExitCode));

        Cli.Result unreachable = await nobody.RunAsync("init", "--name", "n", "--relay", "http://127.0.0.1:1");
        Assert.NotEqual(0, unreachable.ExitCode);
        Assert.Equal("RelayUnreachable", unreachable.Single.Text("error"));

        RelayProcess relay = await StartRelayAsync();
        await nobody.InitAsync(relay.Url);
        Cli.Result unknown = await nobody.RunAsync("send", "ghost", "hello");
        Assert.Equal("UnknownAlias", unknown.Single.Text("error"));
        Assert.NotEqual(0, unknown.ExitCode);
        Cli.Result malformed = await nobody.RunAsync("accept", "bc1.not-an-invite");
        Assert.Equal("MalformedInvite", malformed.Single.Text("error"));
        Assert.NotEqual(0, malformed.ExitCode);
        Cli.Result usage = await nobody.RunAsync("send");
        Assert.NotEqual(0, usage.ExitCode);
        Assert.True(usage.Single.ContainsKey("error"));
    }

    [Fact]
    public async Task Help_works_for_every_command()
    {
        foreach (string command in new[] { "", "relay", "init", "invite", "accept", "contacts", "send", "sync", "read", "watch", "verify", "demo" })
        {
            Cli.Result help = await Cli.RunAsync(command.Length == 0 ? ["--help"] : [command, "--help"]);
            help.Ok();
            Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
        }
    }

    private async Task<RelayProcess> StartRelayAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        RelayProcess relay = await RelayProcess.StartAsync(RelayData, new RelayProcessOptions { Environment = environment });
        _relays.Add(relay);
        return relay;
    }

    /// <summary>East and west paired, and north, who accepted an invite from east (east has synced).</summary>
    private async Task<(Party East, Party West, Party North)> ThreeAsync(RelayProcess relay)
    {
        (Party east, Party west) = await PairAsync(relay);
        var north = new Party("north", Path.Combine(_root, "north"));
        await north.InitAsync(relay.Url);
        (await north.RunAsync("accept", await east.InviteAsync())).Ok();
        await east.SyncAsync();
        return (east, west, north);
    }

    [Fact]
    public async Task A_channel_of_three_works_through_the_real_executable()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west, Party north) = await ThreeAsync(relay);

        JsonObject created = (await east.RunAsync("channel", "create", "talks", "--with", "west,north")).Ok().Single;
        Assert.Equal("talks", created.Text("channel"));
        Assert.True(Guid.TryParse(created.Text("id"), out _));
        Assert.Equal(["east", "north", "west"], created["members"]!.AsArray().Select(m => m!.GetValue<string>()));
        foreach (Party p in new[] { west, north, east, west, north })
        {
            await p.SyncAsync();
        }
        JsonObject listed = Assert.Single((await north.RunAsync("channel", "list")).Ok().JsonLines);
        Assert.Equal(created.Text("id"), listed.Text("id"));

        JsonObject sent = (await west.RunAsync("send", "--channel", "talks", "agenda first", "--topic", "agenda")).Ok().Single;
        Assert.Equal("sent", sent.Text("status"));
        IReadOnlyList<JsonObject> atNorth = await north.SyncAsync();
        JsonObject got = Assert.Single(atNorth);
        Assert.Equal(("agenda first", "west", "agenda", "talks"), (got.Text("text"), got.Text("from"), got.Text("topic"), got.Text("channel")));
        await east.SyncAsync();
        JsonObject read = Assert.Single(await east.ReadAsync("--channel", "talks"));
        Assert.Equal(("in", "talks", sent.Text("id")), (read.Text("direction"), read.Text("channel"), read.Text("id")));
        Assert.Empty(await east.ReadAsync("west"));

        JsonObject removed = (await east.RunAsync("channel", "remove", "talks", "north")).Ok().Single;
        Assert.Equal(["east", "west"], removed["members"]!.AsArray().Select(m => m!.GetValue<string>()));
        await west.SyncAsync();
        await north.SyncAsync();
        Assert.Equal("sent", (await west.RunAsync("send", "--channel", "talks", "after removal")).Ok().Single.Text("status"));
        Assert.Empty(await north.SyncAsync());
        Assert.Equal("after removal", Assert.Single(await east.SyncAsync()).Text("text"));
        Assert.Equal("NotMember", (await north.RunAsync("send", "--channel", "talks", "hello?")).JsonLines.Single().Text("error"));
    }

    [Fact]
    public async Task A_second_device_links_with_a_code_and_shares_the_conversation()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west) = await PairAsync(relay);
        var laptop = new Party("west", Path.Combine(_root, "west-laptop"));
        JsonObject linked = await LinkAsync(relay, west, laptop);
        Assert.Equal(2, linked["device"]!.GetValue<int>());

        IReadOnlyList<JsonObject> devices = (await west.RunAsync("device", "list")).Ok().JsonLines;
        Assert.Equal([1, 2], devices.Select(d => d["device"]!.GetValue<int>()));
        Assert.Equal("laptop", devices[1].Text("name"));

        Assert.Equal("sent", await east.SendAsync("west", "to both"));
        Assert.Equal(["to both"], (await west.SyncAsync()).Select(m => m.Text("text")));
        Assert.Equal(["to both"], (await laptop.SyncAsync()).Select(m => m.Text("text")));
        Assert.Equal("sent", await laptop.SendAsync("east", "from the laptop"));
        JsonObject got = Assert.Single(await east.SyncAsync());
        Assert.Equal(("from the laptop", "west"), (got.Text("text"), got.Text("from")));
        await west.SyncAsync();
        JsonObject mirrored = Assert.Single(await west.ReadAsync("east"), m => m.Text("text") == "from the laptop");
        Assert.Equal("out", mirrored.Text("direction"));

        Assert.Equal(2, (await west.RunAsync("device", "remove", "2")).Ok().Single["removed"]!.GetValue<int>());
        Cli.Result refused = await laptop.RunAsync("device", "list");
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task A_linked_device_shares_channels_and_history_and_a_removed_one_gets_nothing()
    {
        RelayProcess relay = await StartRelayAsync();
        (Party east, Party west, Party north) = await ThreeAsync(relay);
        JsonObject created = (await east.RunAsync("channel", "create", "talks", "--with", "west,north")).Ok().Single;
        foreach (Party p in new[] { west, north, east, west, north })
        {
            await p.SyncAsync();
        }
        string before = (await west.RunAsync("send", "--channel", "talks", "before the laptop", "--topic", "agenda")).Ok().Single.Text("id");
        Assert.Equal("sent", await east.SendAsync("west", "one to one before"));
        foreach (Party p in new[] { east, west, north })
        {
            await p.SyncAsync();
        }

        // East links a laptop: it knows the channel and the history at once, and sync prints none of it as new.
        var laptop = new Party("east", Path.Combine(_root, "east-laptop"));
        Assert.Equal(2, (await LinkAsync(relay, east, laptop))["device"]!.GetValue<int>());
        JsonObject channel = Assert.Single((await laptop.RunAsync("channel", "list")).Ok().JsonLines);
        Assert.Equal((created.Text("id"), "talks"), (channel.Text("id"), channel.Text("channel")));
        Assert.Equal(["east", "north", "west"], channel["members"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Empty(await laptop.SyncAsync());
        JsonObject copied = Assert.Single(await laptop.ReadAsync("--channel", "talks"));
        Assert.Equal((before, "before the laptop", "agenda", "west", "in"),
            (copied.Text("id"), copied.Text("text"), copied.Text("topic"), copied.Text("from"), copied.Text("direction")));
        JsonObject oneToOne = Assert.Single(await laptop.ReadAsync("west"));
        Assert.Equal(("one to one before", "out"), (oneToOne.Text("text"), oneToOne.Text("direction")));
        Assert.Empty(await laptop.SyncAsync());

        // West writes to the channel: both of east's devices read it.
        Assert.Equal("sent", (await west.RunAsync("send", "--channel", "talks", "to every device")).Ok().Single.Text("status"));
        foreach (Party p in new[] { east, laptop, north })
        {
            JsonObject got = Assert.Single(await p.SyncAsync());
            Assert.Equal(("to every device", "west", "talks"), (got.Text("text"), got.Text("from"), got.Text("channel")));
        }

        // The laptop writes to the channel: west and north read it, east's first device shows it as its own.
        JsonObject fromLaptop = (await laptop.RunAsync("send", "--channel", "talks", "from the laptop")).Ok().Single;
        Assert.Equal("sent", fromLaptop.Text("status"));
        foreach (Party p in new[] { west, north })
        {
            JsonObject got = Assert.Single(await p.SyncAsync());
            Assert.Equal(("from the laptop", "east", fromLaptop.Text("id")), (got.Text("text"), got.Text("from"), got.Text("id")));
        }
        JsonObject mirrored = Assert.Single(await east.SyncAsync());
        Assert.Equal(("from the laptop", "east", fromLaptop.Text("id")), (mirrored.Text("text"), mirrored.Text("from"), mirrored.Text("id")));
        Assert.Equal("out", Assert.Single(await east.ReadAsync("--channel", "talks"), m => m.Text("id") == fromLaptop.Text("id")).Text("direction"));
        Assert.Equal(["before the laptop", "to every device", "from the laptop"],
            (await laptop.ReadAsync("--channel", "talks")).Select(m => m.Text("text")));

        // The laptop is removed: what is sent afterwards reaches east's first device only.
        Assert.Equal(2, (await east.RunAsync("device", "remove", "2")).Ok().Single["removed"]!.GetValue<int>());
        Assert.Equal("sent", (await west.RunAsync("send", "--channel", "talks", "after removal")).Ok().Single.Text("status"));
        Assert.Equal("sent", await west.SendAsync("east", "one to one after removal"));
        Assert.Equal(["after removal", "one to one after removal"], (await east.SyncAsync()).Select(m => m.Text("text")));
        Assert.NotEqual(0, (await laptop.RunAsync("sync")).ExitCode);
        Assert.DoesNotContain(await laptop.ReadAsync("--channel", "talks"), m => m.Text("text") == "after removal");
        Assert.DoesNotContain(await laptop.ReadAsync("west"), m => m.Text("text") == "one to one after removal");
    }

    /// <summary>Runs <c>device link</c> for <paramref name="fresh"/>, approves its code from <paramref name="existing"/>; returns the link's JSON.</summary>
    private static async Task<JsonObject> LinkAsync(RelayProcess relay, Party existing, Party fresh)
    {
        using var link = new Process
        {
            StartInfo = Cli.StartInfo(["--home", fresh.Home, "--json", "device", "link", "--relay", relay.Url, "--name", "laptop", "--wait", "60"]),
        };
        var code = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.ErrorDataReceived += (_, e) =>
        {
            int at = e.Data?.IndexOf("bcl1.", StringComparison.Ordinal) ?? -1;
            if (at >= 0)
            {
                code.TrySetResult(e.Data![at..].Trim());
            }
        };
        link.Start();
        link.BeginErrorReadLine();
        Task<string> stdout = link.StandardOutput.ReadToEndAsync();
        string linkCode = await code.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await existing.RunAsync("device", "approve", linkCode)).Ok().Single["approved"]!.GetValue<bool>());
        await link.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, link.ExitCode);
        return JsonNode.Parse((await stdout).Trim())!.AsObject();
    }

    private async Task<(Party East, Party West)> PairAsync(RelayProcess relay)
    {
        var east = new Party("east", Path.Combine(_root, "east"));
        var west = new Party("west", Path.Combine(_root, "west"));
        await east.InitAsync(relay.Url);
        await west.InitAsync(relay.Url);
        JsonObject accepted = (await west.RunAsync("accept", await east.InviteAsync())).Ok().Single;
        Assert.Equal("east", accepted.Text("contact"));
        Assert.Empty(await east.SyncAsync());
        Assert.Equal("west", Assert.Single((await east.RunAsync("contacts")).Ok().JsonLines).Text("alias"));
        return (east, west);
    }

    public void Dispose()
    {
        foreach (RelayProcess relay in _relays)
        {
            relay.Dispose();
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
