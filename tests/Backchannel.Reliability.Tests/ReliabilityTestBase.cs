using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Backchannel.Reliability.Tests;

/// <summary>A temporary root, the relays started in it (killed at the end) and helpers to make parties that know each other.</summary>
public abstract class ReliabilityTestBase : IDisposable
{
    private readonly List<RelayProcess> _relays = [];

    protected ReliabilityTestBase()
    {
        Root = Path.Combine(Path.GetTempPath(), "bc-rel-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
    }

    protected string Root { get; }

    private readonly List<string> _mounts = [];

    /// <summary>
    /// The relay's send bounds (600 per device, 300 per recipient, 600 sealed per recipient each minute) are raised for
    /// the test relay — these tests push thousands of messages a minute through one relay on purpose.
    /// </summary>
    internal static Dictionary<string, string> RaisedLimits(IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["Relay__Limits__MessagesSentPerMinute"] = "1000000",
            ["Relay__Limits__MessagesPerRecipientPerMinute"] = "1000000",
            ["Relay__Limits__SealedMessagesPerRecipientPerMinute"] = "1000000",
            ["Relay__Limits__BundleFetchesPerMinute"] = "10000",
            ["Relay__Limits__MaxPendingMessagesPerDevice"] = "1000000",
        };
        foreach ((string k, string v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        return env;
    }

    internal async Task<RelayProcess> StartRelayAsync(string? dataDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? logLevel = null)
    {
        RelayProcess relay = await RelayProcess.StartAsync(dataDirectory ?? Path.Combine(Root, "relay-data"),
            new RelayProcessOptions { Environment = environment ?? RaisedLimits(), LogLevel = logLevel });
        Track(relay);
        return relay;
    }

    internal RelayProcess Track(RelayProcess relay)
    {
        lock (_relays)
        {
            _relays.Add(relay);
        }
        return relay;
    }

    /// <summary>Parties p0…p(n-1), each a contact of every other under the other's name.</summary>
    internal async Task<Party[]> MeshAsync(RelayProcess relay, int count, string prefix = "p")
    {
        Party[] parties = [.. Enumerable.Range(0, count).Select(i => new Party($"{prefix}{i}", Path.Combine(Root, $"{prefix}{i}")))];
        foreach (Party p in parties)
        {
            await p.InitAsync(relay.Url);
        }
        for (int i = 0; i < count; i++)
        {
            for (int j = i + 1; j < count; j++)
            {
                JsonObject accepted = (await parties[j].RunAsync("accept", await parties[i].InviteAsync(), "--alias", parties[i].Name)).Ok().Single;
                Assert.Equal(parties[i].Name, accepted.Text("contact"));
                Assert.Empty(await parties[i].SyncAsync());
            }
        }
        foreach (Party p in parties)
        {
            IReadOnlyList<JsonObject> contacts = (await p.RunAsync("contacts")).Ok().JsonLines;
            Assert.Equal(parties.Where(o => o != p).Select(o => o.Name).Order(StringComparer.Ordinal),
                contacts.Select(c => c.Text("alias")).Order(StringComparer.Ordinal));
        }
        return parties;
    }

    /// <summary>Texts of incoming messages in <paramref name="party"/>'s local history, asserting each id is there once.</summary>
    internal static async Task<List<string>> IncomingTextsAsync(Party party)
    {
        IReadOnlyList<JsonObject> history = await party.ReadAsync();
        Assert.Equal(history.Count, history.Select(m => m.Text("id")).Distinct().Count());
        return [.. history.Where(m => m.Text("direction") == "in").Select(m => m.Text("text"))];
    }

    /// <summary>Every expected text exactly once, nothing else.</summary>
    internal static void AssertExactlyOnce(IEnumerable<string> expected, IEnumerable<string> actual, string what)
    {
        Dictionary<string, int> counts = actual.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        string[] twice = [.. counts.Where(kv => kv.Value > 1).Select(kv => $"{kv.Key} ×{kv.Value}")];
        string[] missing = [.. expected.Where(t => !counts.ContainsKey(t))];
        var expectedSet = new HashSet<string>(expected, StringComparer.Ordinal);
        string[] unexpected = [.. counts.Keys.Where(t => !expectedSet.Contains(t))];
        Assert.True(twice.Length == 0 && missing.Length == 0 && unexpected.Length == 0,
            $"{what}: {missing.Length} missing (e.g. {string.Join(", ", missing.Take(5))}), {twice.Length} duplicated " +
            $"(e.g. {string.Join(", ", twice.Take(5))}), {unexpected.Length} unexpected (e.g. {string.Join(", ", unexpected.Take(5))})");
    }

    /// <summary>
    /// Mounts a 24 MiB tmpfs at <c>ROOT/tmpfs</c> for the relay's data (unmounted at the end), or fails the test:
    /// a check that silently passes proves nothing. Needs root on Linux, as CI has.
    /// </summary>
    protected string MountTmpfs(string why)
    {
        string mount = Path.Combine(Root, "tmpfs");
        Directory.CreateDirectory(mount);
        if (!OperatingSystem.IsLinux() || System.Environment.UserName != "root"
            || RunTool("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount).ExitCode != 0)
        {
            Assert.Fail($"this test needs root on Linux to mount a 24 MiB tmpfs for the relay's data and {why} (CI runs as root)");
        }
        _mounts.Add(mount);
        return mount;
    }

    /// <summary>
    /// The start of the storage-fault tests: a relay with its data on a fresh tmpfs (<see cref="MountTmpfs"/>), two
    /// parties, and 20 messages from one to the other answered <c>sent</c> before the fault; they are the first
    /// entries of the returned expected list.
    /// </summary>
    internal async Task<(string Mount, RelayProcess Relay, Party Sender, Party Receiver, List<string> Expected)> TwoPartiesOnTmpfsAsync(
        string why, string label)
    {
        string mount = MountTmpfs(why);
        RelayProcess relay = await StartRelayAsync(Path.Combine(mount, "relay"));
        Party[] parties = await MeshAsync(relay, 2);
        string[] before = [.. Enumerable.Range(0, 20).Select(i => $"before {label} #{i} {Guid.NewGuid():N}")];
        Assert.All((await parties[0].SendLinesAsync(parties[1].Name, before)).Ok().JsonLines, o => Assert.Equal("sent", o.Text("status")));
        return (mount, relay, parties[0], parties[1], [.. before]);
    }

    /// <summary>Runs a system tool (mount, umount) to its end; its exit code and what it wrote to stderr.</summary>
    internal static (int ExitCode, string Error) RunTool(string file, params string[] args)
    {
        using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(10_000))
        {
            p.Kill();
            return (-1, $"{file} did not finish within 10 s");
        }
        return (p.ExitCode, error.Result.Trim());
    }

    internal static int EnvInt(string name, int fallback) =>
        int.TryParse(System.Environment.GetEnvironmentVariable(name), out int v) && v >= 0 ? v : fallback;

    public void Dispose()
    {
        lock (_relays)
        {
            foreach (RelayProcess relay in _relays)
            {
                relay.Dispose();
            }
        }
        foreach (string mount in _mounts)
        {
            RunTool("umount", "-l", mount);
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
