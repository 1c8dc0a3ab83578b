using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>Relay restarts (kill -9) while clients run <c>backchannel watch</c>: they reconnect with backoff and miss nothing.</summary>
public sealed class WatchReconnectTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task Watchers_reconnect_after_relay_restarts_and_miss_nothing()
    {
        int restarts = EnvInt("RELIABILITY_WATCH_RESTARTS", 2);
        RelayProcess relay = await StartRelayAsync();
        Party[] parties = await MeshAsync(relay, 3);
        Party sender = parties[0];
        Party[] watchers = parties[1..];
        var printed = watchers.ToDictionary(w => w, _ => new List<string>());
        var stderrs = watchers.ToDictionary(w => w, _ => new StringBuilder());
        var processes = new List<Process>();
        var connections = watchers.ToDictionary(w => w, _ => 0);
        try
        {
            foreach (Party w in watchers)
            {
                Process watch = Process.Start(Cli.StartInfo(["--home", w.Home, "--json", "watch"]))!;
                processes.Add(watch);
                watch.StandardInput.Close();
                watch.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is { Length: > 0 } line && line.StartsWith('{'))
                    {
                        JsonObject o = JsonNode.Parse(line)!.AsObject();
                        if (o.ContainsKey("text"))
                        {
                            lock (printed)
                            {
                                printed[w].Add(o.Text("text"));
                            }
                        }
                    }
                };
                watch.ErrorDataReceived += (_, e) =>
                {
                    lock (printed)
                    {
                        stderrs[w].AppendLine(e.Data);
                        if (e.Data == "connected")
                        {
                            connections[w]++;
                        }
                    }
                };
                watch.BeginOutputReadLine();
                watch.BeginErrorReadLine();
            }
            await WaitUntilAsync(() => watchers.All(w => connections[w] >= 1), TimeSpan.FromSeconds(30), "watchers did not connect");

            var expected = watchers.ToDictionary(w => w, _ => new List<string>());
            async Task SendRoundAsync(string label, string status)
            {
                foreach (Party w in watchers)
                {
                    string[] texts = [.. Enumerable.Range(0, 10).Select(i => $"{label} to {w.Name} #{i} {Guid.NewGuid():N}")];
                    Cli.Result r = (await sender.SendLinesAsync(w.Name, texts)).Ok();
                    Assert.All(r.JsonLines, o => Assert.Equal(status, o.Text("status")));
                    expected[w].AddRange(texts);
                }
            }

            await SendRoundAsync("before", "sent");
            for (int k = 0; k < restarts; k++)
            {
                relay.KillHard();
                await SendRoundAsync($"down {k}", "queued");
                await Task.Delay(500 + (500 * k));
                relay = Track(await relay.RestartAsync());
                await SendRoundAsync($"up {k}", "sent"); // also delivers the queued ones
                await WaitUntilAsync(() => watchers.All(w => connections[w] >= k + 2), TimeSpan.FromSeconds(60),
                    $"watchers did not reconnect after restart {k + 1}");
            }
            string Diagnose()
            {
                lock (printed)
                {
                    return string.Join("\n", watchers.Select(w =>
                        $"{w.Name}: printed {printed[w].Count}/{expected[w].Count}, missing: " +
                        string.Join(", ", expected[w].Where(t => !printed[w].Contains(t)).Take(12).Select(t => t[..Math.Min(t.Length, 24)])) +
                        $"\nstderr:\n{stderrs[w]}"));
                }
            }
            await WaitUntilAsync(() => watchers.All(w => printed[w].Count >= expected[w].Count), TimeSpan.FromSeconds(90),
                "watchers did not print everything", Diagnose);
            await Task.Delay(1000); // anything extra (a duplicate) would show up now
            foreach (Party w in watchers)
            {
                lock (printed)
                {
                    AssertExactlyOnce(expected[w], printed[w], $"what {w.Name}'s watch printed");
                }
            }
            foreach (Process p in processes)
            {
                using Process kill = Process.Start(new ProcessStartInfo("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
                await kill.WaitForExitAsync();
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            foreach (Party w in watchers)
            {
                Assert.Empty(await w.SyncAsync()); // all acknowledged by the watcher
                AssertExactlyOnce(expected[w], await IncomingTextsAsync(w), $"{w.Name}'s history");
                output.WriteLine($"{w.Name}: {connections[w]} connections, {printed[w].Count} printed; stderr:\n{stderrs[w]}");
            }
            output.WriteLine($"RESULT restarts={restarts} watchers={watchers.Length} messages={expected.Values.Sum(v => v.Count)}");
        }
        finally
        {
            foreach (Process p in processes)
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
                p.Dispose();
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string failure, Func<string>? diagnose = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, failure + (diagnose is null ? "" : "\n" + diagnose()));
            await Task.Delay(100);
        }
    }
}
