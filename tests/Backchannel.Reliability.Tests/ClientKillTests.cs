using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>kill -9 of a receiving client (a <c>backchannel sync</c> process) between fetching/storing and acknowledging.</summary>
public sealed class ClientKillTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task Sync_killed_mid_way_repeatedly_loses_nothing_and_shows_nothing_twice()
    {
        int rounds = Math.Max(1, EnvInt("RELIABILITY_CLIENT_KILLS", 8));
        var random = new Random(EnvInt("RELIABILITY_SEED", Environment.TickCount & 0x7fffffff));
        RelayProcess relay = await StartRelayAsync();
        Party[] parties = await MeshAsync(relay, 2);
        (Party sender, Party receiver) = (parties[0], parties[1]);
        var expected = new List<string>();
        var shown = new List<string>();
        int killedRunning = 0;
        int killedAfterPrinting = 0;
        int killedAfterStoring = 0; // the kill landed after this sync had committed some messages locally
        int storedBefore = 0;
        int typicalMs = 2000; // how long an unkilled sync took last: kills are aimed inside that window

        for (int round = 0; round < rounds; round++)
        {
            // Keep a few hundred waiting so the sync has pages to fetch, store and acknowledge when it is killed.
            string[] texts = [.. Enumerable.Range(0, round == 0 ? 300 : 100).Select(i => $"round {round} #{i} {Guid.NewGuid():N}")];
            Cli.Result sent = (await sender.SendLinesAsync(receiver.Name, texts)).Ok();
            Assert.All(sent.JsonLines, o => Assert.Equal("sent", o.Text("status")));
            expected.AddRange(texts);

            using Process sync = Process.Start(Cli.StartInfo(["--home", receiver.Home, "--json", "sync"]))!;
            sync.StandardInput.Close();
            Task<string> stdout = sync.StandardOutput.ReadToEndAsync();
            Task<string> stderr = sync.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            int delay = random.Next(100, Math.Max(200, typicalMs * 9 / 10));
            try
            {
                await sync.WaitForExitAsync().WaitAsync(TimeSpan.FromMilliseconds(delay));
            }
            catch (TimeoutException)
            {
            }
            bool running = !sync.HasExited;
            if (!running)
            {
                typicalMs = (int)clock.ElapsedMilliseconds;
            }
            if (running)
            {
                sync.Kill(entireProcessTree: true); // SIGKILL: no finally blocks, no flush
                killedRunning++;
            }
            await sync.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            string printed = await stdout;
            List<string> got = [.. printed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => l.EndsWith('}'))
                .Select(l => JsonNode.Parse(l)!.AsObject()).Where(o => o.ContainsKey("text")).Select(o => o.Text("text"))];
            if (running && got.Count > 0)
            {
                killedAfterPrinting++;
            }
            shown.AddRange(got);
            if (running)
            {
                int stored = (await IncomingTextsAsync(receiver)).Count;
                if (stored > storedBefore)
                {
                    killedAfterStoring++;
                }
                storedBefore = stored;
            }
            else
            {
                storedBefore = (await IncomingTextsAsync(receiver)).Count;
            }
            output.WriteLine($"round {round}: {(running ? $"killed after {delay} ms" : $"finished ({sync.ExitCode}) in {clock.ElapsedMilliseconds} ms")}, printed {got.Count} {(await stderr).Trim()}");
        }

        // Final syncs until quiet.
        for (int i = 0; i < 4; i++)
        {
            IReadOnlyList<JsonObject> got = await receiver.SyncAsync();
            shown.AddRange(got.Select(m => m.Text("text")));
            if (got.Count == 0)
            {
                break;
            }
        }

        AssertExactlyOnce(expected, await IncomingTextsAsync(receiver), "the receiver's history");
        // A message may be stored by a sync killed before it printed it (then it is only in history), never printed twice.
        string[] twice = [.. shown.GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key)];
        Assert.True(twice.Length == 0, $"{twice.Length} messages shown twice, e.g. {string.Join(", ", twice.Take(3))}");
        Assert.True(killedRunning > 0, "no sync was killed while running: the test proved nothing");
        output.WriteLine($"RESULT messages={expected.Count} syncs killed={killedRunning} (after storing some: {killedAfterStoring}, after printing some: {killedAfterPrinting}) shown={shown.Count}");
    }
}
