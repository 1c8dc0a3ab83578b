using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// kill -9 of the relay at random moments under load. CI form: 5 kills during 600 messages among 3 clients; the long
/// form reads <c>RELIABILITY_KILLS</c>, <c>RELIABILITY_MESSAGES</c> (and <c>RELIABILITY_CLIENTS</c>, <c>RELIABILITY_SEED</c>).
/// </summary>
public sealed class RelayKillTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task Relay_killed_at_random_moments_under_load_loses_and_duplicates_nothing()
    {
        int kills = EnvInt("RELIABILITY_KILLS", 5);
        int total = Math.Max(30, EnvInt("RELIABILITY_MESSAGES", 600));
        int clients = Math.Max(2, EnvInt("RELIABILITY_CLIENTS", 3));
        int seed = EnvInt("RELIABILITY_SEED", Environment.TickCount & 0x7fffffff);
        var random = new Random(seed);
        int perClient = total / clients;
        int batch = Math.Clamp(perClient / 10, 10, 100);
        output.WriteLine($"kills={kills} messages={perClient * clients} clients={clients} batch={batch} seed={seed}");

        RelayProcess relay = await StartRelayAsync();
        Party[] parties = await MeshAsync(relay, clients);
        var relayGate = new SemaphoreSlim(1, 1);

        // Where the kills happen: after random numbers of submitted messages (spread over the first 90 %).
        int[] killAt = [.. Enumerable.Range(0, kills).Select(_ => random.Next(1, Math.Max(2, perClient * clients * 9 / 10))).Order()];
        int submitted = 0;
        int killsDone = 0;
        var killsFinished = new TaskCompletionSource();
        if (kills == 0)
        {
            killsFinished.SetResult();
        }

        // status per text: "sent", "queued", or "unknown" (the send process failed)
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        var recipientOf = new Dictionary<string, Party>(StringComparer.Ordinal);
        var shown = new Dictionary<Party, List<string>>();
        foreach (Party p in parties)
        {
            shown[p] = [];
        }
        var clock = Stopwatch.StartNew();

        async Task KillerAsync()
        {
            var killRandom = new Random(seed + 1);
            while (killsDone < kills)
            {
                if (Volatile.Read(ref submitted) >= killAt[killsDone])
                {
                    await Task.Delay(killRandom.Next(0, 500));
                    await relayGate.WaitAsync();
                    try
                    {
                        relay.KillHard();
                        await Task.Delay(killRandom.Next(200, 1500));
                        relay = Track(await relay.RestartAsync());
                    }
                    finally
                    {
                        relayGate.Release();
                    }
                    killsDone++;
                    output.WriteLine($"kill {killsDone} at {Volatile.Read(ref submitted)} submitted, {clock.Elapsed.TotalSeconds:F1} s");
                }
                else
                {
                    await Task.Delay(50);
                }
            }
            killsFinished.TrySetResult();
        }

        async Task ClientAsync(int index)
        {
            Party me = parties[index];
            Party[] others = [.. parties.Where(p => p != me)];
            int sent = 0;
            for (int round = 0; sent < perClient; round++)
            {
                Party to = others[round % others.Length];
                int n = Math.Min(batch, perClient - sent);
                string[] texts = [.. Enumerable.Range(sent, n).Select(i => $"{me.Name}->{to.Name} #{i} {Guid.NewGuid():N}")];
                lock (statuses)
                {
                    foreach (string t in texts)
                    {
                        recipientOf[t] = to;
                        statuses[t] = "unknown";
                    }
                }
                Interlocked.Add(ref submitted, n); // counted as the batch starts, so kills land while sends are in flight
                Cli.Result r = await me.SendLinesAsync(to.Name, texts);
                if (r.ExitCode == 0)
                {
                    IReadOnlyList<JsonObject> lines = r.JsonLines;
                    Assert.True(lines.Count == n, $"{n} texts, {lines.Count} statuses:\n{r.Stdout}\n{r.Stderr}");
                    lock (statuses)
                    {
                        for (int i = 0; i < n; i++)
                        {
                            string status = lines[i].Text("status");
                            Assert.True(status is "sent" or "queued", status);
                            statuses[texts[i]] = status;
                        }
                    }
                }
                else
                {
                    output.WriteLine($"{me.Name} send exited {r.ExitCode}: {r.Stdout.Trim()} {r.Stderr.Trim()}");
                }
                sent += n;
                if (round % 3 == 2)
                {
                    await SyncRecordingAsync(me, tolerateUnreachable: true);
                }
            }
        }

        async Task<int> SyncRecordingAsync(Party p, bool tolerateUnreachable)
        {
            Cli.Result r = await p.RunAsync("sync");
            List<string> got = [.. r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => JsonNode.Parse(l)!.AsObject()).Where(o => o.ContainsKey("text")).Select(o => o.Text("text"))];
            lock (shown)
            {
                shown[p].AddRange(got);
            }
            if (r.ExitCode != 0)
            {
                Assert.True(tolerateUnreachable, $"sync failed: {r.Stdout}\n{r.Stderr}");
                output.WriteLine($"{p.Name} sync exited {r.ExitCode}: {r.Stdout.Trim().Split('\n')[^1]}");
            }
            return got.Count;
        }

        Task killer = KillerAsync();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(ClientAsync));
        await killer.WaitAsync(TimeSpan.FromMinutes(5));
        await killsFinished.Task;
        Assert.Equal(kills, killsDone);
        Assert.False(relay.HasExited);
        TimeSpan loadTime = clock.Elapsed;

        // Phase 1: one sync each. Everything the relay acknowledged (`sent`) is in its mailbox already.
        foreach (Party p in parties)
        {
            await SyncRecordingAsync(p, tolerateUnreachable: false);
        }
        foreach (Party p in parties)
        {
            string[] acknowledged = [.. statuses.Where(kv => kv.Value == "sent" && recipientOf[kv.Key] == p).Select(kv => kv.Key)];
            var have = new HashSet<string>(await IncomingTextsAsync(p), StringComparer.Ordinal);
            string[] missing = [.. acknowledged.Where(t => !have.Contains(t))];
            Assert.True(missing.Length == 0, $"{p.Name} lacks {missing.Length} acknowledged messages, e.g. {string.Join(", ", missing.Take(5))}");
        }

        // Phase 2: sync until quiet (the outboxes of `queued` messages go out with each sync).
        for (int round = 0; round < 6; round++)
        {
            int got = 0;
            foreach (Party p in parties)
            {
                got += await SyncRecordingAsync(p, tolerateUnreachable: false);
            }
            if (got == 0 && round > 0)
            {
                break;
            }
        }

        foreach (Party p in parties)
        {
            string[] expected = [.. statuses.Keys.Where(t => recipientOf[t] == p)];
            AssertExactlyOnce(expected, await IncomingTextsAsync(p), $"{p.Name}'s history");
            AssertExactlyOnce(expected, shown[p], $"what {p.Name}'s syncs printed");
            IReadOnlyList<JsonObject> history = await p.ReadAsync();
            string[] mine = [.. statuses.Keys.Where(t => t.StartsWith(p.Name + "->", StringComparison.Ordinal))];
            AssertExactlyOnce(mine, history.Where(m => m.Text("direction") == "out").Select(m => m.Text("text")), $"{p.Name}'s sent history");
        }

        int acked = statuses.Values.Count(s => s == "sent");
        int queued = statuses.Values.Count(s => s == "queued");
        int unknown = statuses.Values.Count(s => s == "unknown");
        output.WriteLine($"RESULT messages={statuses.Count} sent={acked} queued={queued} unknown={unknown} kills={killsDone} " +
            $"load={loadTime.TotalSeconds:F1}s total={clock.Elapsed.TotalSeconds:F1}s seed={seed}");
    }
}
