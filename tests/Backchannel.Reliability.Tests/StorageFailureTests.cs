using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// The relay's disk fills up (its data directory is on a small tmpfs, then a filler file takes the rest): sends are
/// answered 503 with a problem detail, clients keep them <c>queued</c>, and once space is back everything arrives once.
/// Needs root (mount): CI runs as root; as another user the test fails rather than check nothing.
/// </summary>
public sealed class StorageFailureTests(ITestOutputHelper output) : ReliabilityTestBase
{
    [Fact]
    public async Task Disk_full_relay_answers_503_clients_queue_and_everything_arrives_once_after_recovery()
    {
        (string mount, RelayProcess relay, Party sender, Party receiver, List<string> expected) =
            await TwoPartiesOnTmpfsAsync("fill it", "full");

        // Fill the file system.
        string filler = Path.Combine(mount, "filler");
        long filled = Fill(filler);
        output.WriteLine($"filler: {filled} bytes");

        int queued = 0;
        for (int batch = 0; batch < 40 && queued == 0; batch++)
        {
            string[] texts = [.. Enumerable.Range(0, 50).Select(i => $"while full {batch}-{i} {Guid.NewGuid():N} " + new string('x', 400))];
            Cli.Result r = (await sender.SendLinesAsync(receiver.Name, texts)).Ok();
            queued += r.JsonLines.Count(o => o.Text("status") == "queued");
            Assert.All(r.JsonLines, o => Assert.Contains(o.Text("status"), new[] { "sent", "queued" }));
            expected.AddRange(texts);
        }
        Assert.True(queued > 0, "the relay kept accepting messages on a full disk");
        Assert.False(relay.HasExited, "the relay died when its disk filled up");

        // The relay's own answer: 503, a problem detail, Retry-After.
        StoreSecrets me = StoreSecrets.Read(sender.Home);
        StoreSecrets them = StoreSecrets.Read(receiver.Home);
        using (var http = new HttpClient { BaseAddress = new Uri(relay.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{me.Account}.{me.Device}:{me.Credential}")));
            var body = new JsonObject
            {
                ["messages"] = new JsonArray(new JsonObject
                {
                    ["id"] = Guid.NewGuid().ToString(), ["to"] = them.Account, ["device"] = them.Device, ["type"] = 3,
                    ["content"] = Convert.ToBase64String(new byte[2000]),
                }),
            };
            using HttpResponseMessage response = await http.PostAsync("/v1/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            string problem = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{(int)response.StatusCode} {response.Content.Headers.ContentType} Retry-After: {response.Headers.RetryAfter} {problem}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            JsonObject detail = JsonNode.Parse(problem)!.AsObject();
            Assert.Equal(503, detail["status"]!.GetValue<int>());
            Assert.False(string.IsNullOrWhiteSpace(detail["title"]?.GetValue<string>()));
            Assert.False(string.IsNullOrWhiteSpace(detail["detail"]?.GetValue<string>()));
            Assert.NotNull(response.Headers.RetryAfter);
        }
        Cli.Result failedSync = await receiver.RunAsync("sync"); // fetching may still work; acknowledging may not
        output.WriteLine($"sync while full: exit {failedSync.ExitCode} {failedSync.Stdout.Split('\n').Length} lines");
        var shown = new List<string>(failedSync.ExitCode == 0 ? failedSync.JsonLines.Select(o => o.Text("text")) : []);

        // Space again: everything arrives once.
        File.Delete(filler);
        Assert.False(relay.HasExited);
        string[] after = [.. Enumerable.Range(0, 10).Select(i => $"after recovery #{i} {Guid.NewGuid():N}")];
        Assert.All((await sender.SendLinesAsync(receiver.Name, after)).Ok().JsonLines, o => Assert.Equal("sent", o.Text("status")));
        expected.AddRange(after);
        Assert.Empty(await sender.SyncAsync());
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
        Assert.Equal(shown.Count, shown.Distinct(StringComparer.Ordinal).Count());
        output.WriteLine($"RESULT messages={expected.Count} queued-while-full={queued}");
    }

    private static long Fill(string path)
    {
        long written = 0;
        byte[] chunk = new byte[64 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true)
            {
                stream.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
        }
        try
        {
            // The tail that still fits, byte by byte in small steps.
            while (true)
            {
                stream.Write(chunk, 0, 512);
                written += 512;
            }
        }
        catch (IOException)
        {
        }
        return written;
    }
}
