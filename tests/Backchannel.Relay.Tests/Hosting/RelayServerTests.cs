using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backchannel.Relay.Tests.Hosting;

/// <summary>The hosting API the CLI uses: build, start on a free port, run, stop.</summary>
public sealed class RelayServerTests
{
    private static RelayOptions Options(string? directory = null, RelayStorageKind storage = RelayStorageKind.Sqlite) => new()
    {
        Urls = ["http://127.0.0.1:0"],
        DataDirectory = directory ?? Path.Combine(Path.GetTempPath(), "bc-relay-host-" + Guid.NewGuid().ToString("N")),
        Storage = storage,
        MinimumLogLevel = LogLevel.None,
        HandleProcessSignals = false,
    };

    [Fact]
    public async Task Port_zero_reports_the_actual_port_and_health_answers_ok()
    {
        RelayOptions options = Options();
        try
        {
            await using RelayServer relay = RelayServer.Build(options);
            IReadOnlyList<string> urls = await relay.StartAsync();

            var uri = new Uri(Assert.Single(urls));
            Assert.Equal("127.0.0.1", uri.Host);
            Assert.NotEqual(0, uri.Port);
            Assert.True(File.Exists(Path.Combine(options.DataDirectory, "relay.db")));
            using var http = new HttpClient { BaseAddress = uri };
            JsonObject health = (await http.GetFromJsonAsync<JsonObject>("/health"))!;
            Assert.Equal("ok", (string)health["status"]!);
        }
        finally
        {
            Directory.Delete(options.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Data_survives_a_restart_of_the_relay()
    {
        string directory = Path.Combine(Path.GetTempPath(), "bc-relay-host-" + Guid.NewGuid().ToString("N"));
        try
        {
            RelayClient bob;
            string id = RelayClient.NewId();
            await using (RelayServer first = RelayServer.Build(Options(directory)))
            {
                using var http = new HttpClient { BaseAddress = new Uri((await first.StartAsync())[0]) };
                bob = await new RelayClient(http).RegisterAsync();
                await bob.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [5]));
            }

            await using RelayServer second = RelayServer.Build(Options(directory));
            using var http2 = new HttpClient { BaseAddress = new Uri((await second.StartAsync())[0]) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/messages");
            request.Headers.Authorization = bob.Authorization();
            using HttpResponseMessage response = await http2.SendAsync(request);
            JsonObject fetched = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(id, (string)fetched["messages"]![0]!["id"]!);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Invalid_options_are_refused_at_build()
    {
        RelayOptions options = Options(storage: RelayStorageKind.InMemory);
        options.Urls = ["ftp://nowhere"];
        options.Limits.MessagesSentPerMinute = 0;
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => RelayServer.Build(options));
        Assert.Equal(3, error.Failures.Count());
    }

    [Fact]
    public async Task RunAsync_returns_soon_after_cancellation_even_with_a_socket_open()
    {
        await using RelayServer relay = RelayServer.Build(Options(storage: RelayStorageKind.InMemory));
        var uri = new Uri((await relay.StartAsync())[0]);
        using var http = new HttpClient { BaseAddress = uri };
        RelayClient bob = await new RelayClient(http).RegisterAsync();
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", bob.Authorization().ToString());
        await socket.ConnectAsync(new UriBuilder(new Uri(uri, "/v1/websocket")) { Scheme = "ws" }.Uri, CancellationToken.None);

        using var stop = new CancellationTokenSource();
        Task run = relay.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed}");
    }

    [Fact]
    public async Task In_memory_relay_serves_the_same_api()
    {
        await using RelayServer relay = RelayServer.Build(Options(storage: RelayStorageKind.InMemory));
        using var http = new HttpClient { BaseAddress = new Uri((await relay.StartAsync())[0]) };
        RelayClient bob = await new RelayClient(http).RegisterAsync();
        await bob.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        Assert.Single((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task A_send_into_a_full_mailbox_is_429_and_stores_nothing_of_the_request()
    {
        RelayOptions options = Options(storage: RelayStorageKind.InMemory);
        options.Limits.MaxPendingMessagesPerDevice = 2;
        await using RelayServer relay = RelayServer.Build(options);
        using var http = new HttpClient { BaseAddress = new Uri((await relay.StartAsync())[0]) };
        RelayClient alice = await new RelayClient(http).RegisterAsync();
        RelayClient bob = await new RelayClient(http).RegisterAsync();
        await alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]), RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [2]));

        using HttpResponseMessage full = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), alice.Account, 1, [3]), RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [4])),
        });
        JsonObject problem = await ProblemAssert.IsProblemAsync(full, HttpStatusCode.TooManyRequests);
        Assert.Contains(bob.Account, (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Equal(2, (await bob.FetchAsync())["messages"]!.AsArray().Count);
        Assert.Empty((await alice.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task The_log_never_contains_credentials_or_content()
    {
        var sink = new ListLoggerProvider();
        RelayOptions options = Options(storage: RelayStorageKind.InMemory);
        options.ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(sink);
        await using RelayServer relay = RelayServer.Build(options);
        using var http = new HttpClient { BaseAddress = new Uri((await relay.StartAsync())[0]) };
        RelayClient bob = await new RelayClient(http).RegisterAsync();
        byte[] content = System.Text.Encoding.UTF8.GetBytes("attack at dawn, attack at dawn");
        await bob.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, content));
        await bob.FetchAsync();
        using HttpResponseMessage wrong = await bob.SendAsync(HttpMethod.Get, "/v1/messages", authorization: bob.Authorization(TestKeys.Credential()));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        string log = sink.Text;
        Assert.NotEmpty(log);
        Assert.DoesNotContain(bob.Credential, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(content), log, StringComparison.Ordinal);
        Assert.DoesNotContain("attack at dawn", log, StringComparison.Ordinal);
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public ILogger CreateLogger(string categoryName) => new ListLogger(_lines);

        public void Dispose()
        {
        }

        private sealed class ListLogger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (state is IEnumerable<KeyValuePair<string, object?>> pairs ? " " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "") + exception);
        }
    }
}
