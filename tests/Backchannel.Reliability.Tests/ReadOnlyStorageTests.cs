using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// The relay's volume is mounted read-only (its data directory is on a tmpfs; a tmpfs cannot be remounted read-only
/// while the relay holds its files open for writing, so the relay is killed -9, the tmpfs remounted read-only and the
/// relay started on it). The relay then serves what it has stored, answers writes 503 with a problem detail that
/// says the storage is read-only, and /health says so; clients keep their messages <c>queued</c>. The volume is
/// remounted read-write under the running relay: it recovers without a restart and everything arrives exactly once.
/// Last, a relay stopped cleanly (SQLite removes the -wal and -shm files) refuses to start on read-only storage.
/// Needs root (mount): CI runs as root; as another user the test fails rather than check nothing.
/// </summary>
public sealed class ReadOnlyStorageTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task Read_only_volume_serves_reads_answers_writes_503_and_recovers_without_restart_losing_nothing()
    {
        (string mount, RelayProcess relay, Party sender, Party receiver, List<string> expected) =
            await TwoPartiesOnTmpfsAsync("remount it read-only", "read-only");

        // Crash the relay (its -wal and -shm files stay), make the volume read-only, start the relay on it.
        relay.KillHard();
        Remount(mount, "ro");
        relay = Track(await relay.RestartAsync());
        Assert.Contains("Storage is read-only at start", relay.Log, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(mount, "relay", "relay.db-wal")) && File.Exists(Path.Combine(mount, "relay", "relay.db-shm")));

        StoreSecrets me = StoreSecrets.Read(sender.Home);
        StoreSecrets them = StoreSecrets.Read(receiver.Home);
        using HttpClient asSender = Authenticated(relay.Url, me);
        using HttpClient asReceiver = Authenticated(relay.Url, them);
        await AssertReadOnlyProblemAsync(await asSender.GetAsync("/health"), "health while read-only");
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(), ["to"] = them.Account, ["device"] = them.Device, ["type"] = 3,
                ["content"] = Convert.ToBase64String(new byte[200]),
            }),
        };
        HttpResponseMessage refused = await asSender.PostAsync("/v1/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.NotNull(refused.Headers.RetryAfter);
        await AssertReadOnlyProblemAsync(refused, "send while read-only");

        // Reads are served: the receiver's 20 stored messages can be fetched (not acknowledged: that is a write).
        using (HttpResponseMessage fetch = await asReceiver.GetAsync("/v1/messages"))
        {
            Assert.Equal(HttpStatusCode.OK, fetch.StatusCode);
            JsonArray fetched = JsonNode.Parse(await fetch.Content.ReadAsStringAsync())!["messages"]!.AsArray();
            output.WriteLine($"fetched while read-only: {fetched.Count}");
            Assert.Equal(20, fetched.Count); // the 20 sent before the fault
        }

        // The client keeps what it cannot deliver.
        string[] whileReadOnly = [.. Enumerable.Range(0, 10).Select(i => $"while read-only #{i} {Guid.NewGuid():N}")];
        Cli.Result queuedSend = (await sender.SendLinesAsync(receiver.Name, whileReadOnly)).Ok();
        Assert.All(queuedSend.JsonLines, o => Assert.Equal("queued", o.Text("status")));
        expected.AddRange(whileReadOnly);
        Assert.False(relay.HasExited, "the relay died on read-only storage");

        // Writable again, under the same running relay: /health recovers, sends are stored, nothing is lost.
        Remount(mount, "rw");
        var recovery = Stopwatch.StartNew();
        HttpStatusCode health;
        do
        {
            await Task.Delay(200);
            using HttpResponseMessage h = await asSender.GetAsync("/health");
            health = h.StatusCode;
        }
        while (health != HttpStatusCode.OK && recovery.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, health);
        output.WriteLine($"health ok {recovery.ElapsedMilliseconds} ms after remount rw");
        Assert.False(relay.HasExited);
        string[] after = [.. Enumerable.Range(0, 10).Select(i => $"after recovery #{i} {Guid.NewGuid():N}")];
        Assert.All((await sender.SendLinesAsync(receiver.Name, after)).Ok().JsonLines, o => Assert.Equal("sent", o.Text("status")));
        expected.AddRange(after);
        Assert.Empty(await sender.SyncAsync()); // delivers the queued ones
        var shown = new List<string>();
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
        AssertExactlyOnce(expected, shown, "what the receiver's syncs printed");

        // A clean stop removes the -wal and -shm files; without them SQLite cannot read a WAL database on read-only
        // storage, so the relay refuses to start and says why.
        Assert.True(relay.Terminate(TimeSpan.FromSeconds(30)), "the relay did not stop cleanly on SIGTERM");
        Assert.False(File.Exists(Path.Combine(mount, "relay", "relay.db-wal")), "a clean stop left relay.db-wal behind");
        Remount(mount, "ro");
        InvalidOperationException refusedStart = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RelayProcess.StartAsync(relay.DataDirectory, relay.Options with { Urls = relay.Url }));
        output.WriteLine(refusedStart.Message);
        Assert.Contains("Cannot open the relay's storage", refusedStart.Message, StringComparison.Ordinal);
        Assert.Contains("make the folder writable", refusedStart.Message, StringComparison.Ordinal);
        Remount(mount, "rw");
        relay = Track(await relay.RestartAsync());
        using (HttpClient again = Authenticated(relay.Url, me))
        using (HttpResponseMessage h = await again.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, h.StatusCode);
        }
        output.WriteLine($"RESULT messages={expected.Count} queued-while-read-only={whileReadOnly.Length} fetched-while-read-only=20");
    }

    private static void Remount(string mount, string mode)
    {
        (int exit, string error) = RunTool("mount", "-o", $"remount,{mode}", mount);
        Assert.True(exit == 0, $"mount -o remount,{mode} failed ({exit}): {error}");
    }

    private static HttpClient Authenticated(string url, StoreSecrets who)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{who.Account}.{who.Device}:{who.Credential}")));
        return http;
    }

    private async Task AssertReadOnlyProblemAsync(HttpResponseMessage response, string what)
    {
        using (response)
        {
            string problem = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{what}: {(int)response.StatusCode} {response.Content.Headers.ContentType} {problem}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            JsonObject detail = JsonNode.Parse(problem)!.AsObject();
            Assert.Equal(503, detail["status"]!.GetValue<int>());
            Assert.Contains("read-only", detail["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

}
