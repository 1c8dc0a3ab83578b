using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests.Abuse;

/// <summary>Someone trying to exhaust the relay or a victim: each bound answers with a clear problem detail.</summary>
public sealed class AbuseTests
{
    private static async Task<(RelayServer Server, HttpClient Http)> StartAsync(Action<RelayLimits> limits)
    {
        var options = new RelayOptions
        {
            Urls = ["http://127.0.0.1:0"],
            Storage = RelayStorageKind.InMemory,
            MinimumLogLevel = LogLevel.None,
            HandleProcessSignals = false,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        };
        limits(options.Limits);
        RelayServer server = RelayServer.Build(options);
        var http = new HttpClient { BaseAddress = new Uri((await server.StartAsync())[0]) };
        return (server, http);
    }

    [Fact]
    public async Task Registrations_and_device_links_from_one_address_are_limited_per_hour()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.RegistrationsPerIpPerHour = 3);
        await using (server)
        using (http)
        {
            RelayClient first = await new RelayClient(http).RegisterAsync();
            await new RelayClient(http).RegisterAsync();
            await first.LinkNewDeviceAsync();

            using HttpResponseMessage account = await http.PostAsync("/v1/accounts", RelayClient.Json(RelayClient.RegistrationBody(TestKeys.Credential())));
            JsonObject problem = await ProblemAssert.IsProblemAsync(account, HttpStatusCode.TooManyRequests);
            Assert.Contains("an hour", (string)problem["detail"]!, StringComparison.Ordinal);
            Assert.NotNull(account.Headers.RetryAfter);
            JsonObject token = await first.PostJsonAsync("/v1/devices/link-token");
            using HttpResponseMessage link = await http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(first.Account, (string)token["token"]!, TestKeys.Credential())));
            await ProblemAssert.IsProblemAsync(link, HttpStatusCode.TooManyRequests);
        }
    }

    [Fact]
    public async Task Draining_one_time_keys_hits_the_bundle_limit_and_the_last_resort_key_still_yields_bundles()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.BundleFetchesPerMinute = 6);
        await using (server)
        using (http)
        {
            RelayClient victim = await new RelayClient(http).RegisterAsync(preKeys: 3, kyberPreKeys: 3);
            RelayClient drainer = await new RelayClient(http).RegisterAsync();
            var kyberIds = new List<int>();
            for (int i = 0; i < 6; i++)
            {
                JsonObject device = (await drainer.GetJsonAsync($"/v1/keys/{victim.Account}/1"))["devices"]![0]!.AsObject();
                kyberIds.Add((int)device["kyberPreKey"]!["id"]!);
                Assert.Equal(i < 3, device["preKey"] is not null);
            }

            Assert.Equal([1, 2, 3, 1000, 1000, 1000], kyberIds);
            using HttpResponseMessage limited = await drainer.SendAsync(HttpMethod.Get, $"/v1/keys/{victim.Account}/1");
            await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);

            // Someone else still gets a usable bundle: signed prekey and the last-resort Kyber key.
            RelayClient friend = await new RelayClient(http).RegisterAsync();
            JsonObject bundle = (await friend.GetJsonAsync($"/v1/keys/{victim.Account}/*"))["devices"]![0]!.AsObject();
            Assert.Null(bundle["preKey"]);
            Assert.Equal(1000, (int)bundle["kyberPreKey"]!["id"]!);
            Assert.Equal(1, (int)bundle["signedPreKey"]!["id"]!);
        }
    }

    [Fact]
    public async Task One_sender_flooding_one_account_is_stopped_before_the_mailbox_quota()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.MessagesPerRecipientPerMinute = 5);
        await using (server)
        using (http)
        {
            RelayClient flooder = await new RelayClient(http).RegisterAsync();
            RelayClient victim = await new RelayClient(http).RegisterAsync();
            RelayClient other = await new RelayClient(http).RegisterAsync();
            await flooder.SendMessagesAsync([.. Enumerable.Range(0, 5).Select(_ => RelayClient.Message(RelayClient.NewId(), victim.Account, 1, [1]))]);

            using HttpResponseMessage limited = await flooder.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
            {
                ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), other.Account, 1, [1]), RelayClient.Message(RelayClient.NewId(), victim.Account, 1, [1])),
            });
            JsonObject problem = await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.Contains(victim.Account, (string)problem["detail"]!, StringComparison.Ordinal);
            Assert.Contains("to one account", (string)problem["detail"]!, StringComparison.Ordinal);
            Assert.Equal(5, (await victim.FetchAsync())["messages"]!.AsArray().Count);

            // Others may still write to the victim, and the flooder to others.
            await other.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), victim.Account, 1, [1]));
            await flooder.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), other.Account, 1, [1]));
        }
    }

    [Fact]
    public async Task Sealed_messages_to_one_account_are_limited_per_minute()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.SealedMessagesPerRecipientPerMinute = 3);
        await using (server)
        using (http)
        {
            byte[] key = RandomNumberGenerator.GetBytes(16);
            RelayClient victim = await new RelayClient(http).RegisterAsync(accessKey: key);
            for (int i = 0; i < 3; i++)
            {
                using HttpResponseMessage ok = await Messages.SealedSendTests.SendSealedAsync(http, key, RelayClient.Message(RelayClient.NewId(), victim.Account, 1, [1]));
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            using HttpResponseMessage limited = await Messages.SealedSendTests.SendSealedAsync(http, key, RelayClient.Message(RelayClient.NewId(), victim.Account, 1, [1]));
            JsonObject problem = await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.Contains("sealed", (string)problem["detail"]!, StringComparison.Ordinal);
            Assert.Equal(3, (await victim.FetchAsync())["messages"]!.AsArray().Count);
        }
    }

    [Fact]
    public async Task Provisioning_mailboxes_are_limited_per_address_and_in_total()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => { l.ProvisioningMailboxesPerIpPerMinute = 3; l.MaxOpenProvisioningMailboxes = 2; });
        await using (server)
        using (http)
        {
            for (int i = 0; i < 2; i++)
            {
                using HttpResponseMessage ok = await http.PostAsync("/v1/provisioning", null);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            using HttpResponseMessage full = await http.PostAsync("/v1/provisioning", null);
            await ProblemAssert.IsProblemAsync(full, HttpStatusCode.TooManyRequests);
            using HttpResponseMessage limited = await http.PostAsync("/v1/provisioning", null);
            JsonObject problem = await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.Contains("a minute", (string)problem["detail"]!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_sending_headers_too_slowly_is_disconnected()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.RequestHeadersTimeout = TimeSpan.FromSeconds(2));
        await using (server)
        using (http)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(http.BaseAddress!.Host, http.BaseAddress.Port);
            NetworkStream stream = client.GetStream();
            var clock = Stopwatch.StartNew();
            byte[] request = Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: relay\r\nX-Slow: " + new string('a', 40));
            bool closed = await TrickleUntilClosedAsync(stream, request, TimeSpan.FromSeconds(9));
            Assert.True(closed, "the relay kept a connection whose headers never finished");
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(9));
        }
    }

    [Fact]
    public async Task A_client_sending_its_body_below_the_minimum_rate_is_disconnected()
    {
        (RelayServer server, HttpClient http) = await StartAsync(l => l.SlowBodyGracePeriod = TimeSpan.FromSeconds(2));
        await using (server)
        using (http)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(http.BaseAddress!.Host, http.BaseAddress.Port);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/accounts HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"));
            var clock = Stopwatch.StartNew();
            bool closed = await TrickleUntilClosedAsync(stream, Encoding.ASCII.GetBytes("{\"credential\": \"" + new string('a', 200)), TimeSpan.FromSeconds(9));
            Assert.True(closed, "the relay kept reading a body slower than 240 bytes/s");
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(9));
        }
    }

    /// <summary>Writes one byte every 200 ms; true when the relay answers or closes the connection within <paramref name="limit"/>.</summary>
    private static async Task<bool> TrickleUntilClosedAsync(NetworkStream stream, byte[] bytes, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[1024];
        Task<int> read = stream.ReadAsync(buffer).AsTask();
        int i = 0;
        while (clock.Elapsed < limit)
        {
            if (read.IsCompleted)
            {
                return true; // an answer (408/400) or EOF: either way the relay is done with this client.
            }

            try
            {
                await stream.WriteAsync(bytes.AsMemory(i++ % bytes.Length, 1));
            }
            catch (IOException)
            {
                return true;
            }

            await Task.WhenAny(read, Task.Delay(200));
        }

        return read.IsCompleted;
    }
}
