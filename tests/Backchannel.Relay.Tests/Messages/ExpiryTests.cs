using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests.Messages;

/// <summary>The periodic cleanup deletes what has waited longer than the message lifetime.</summary>
public sealed class ExpiryTests
{
    [Fact]
    public async Task A_message_older_than_30_days_is_deleted_by_the_periodic_cleanup()
    {
        var clock = new SettableClock(DateTimeOffset.UtcNow);
        var options = new RelayOptions
        {
            Urls = ["http://127.0.0.1:0"],
            Storage = RelayStorageKind.InMemory,
            MinimumLogLevel = LogLevel.None,
            HandleProcessSignals = false,
            TimeProvider = clock,
        };
        options.Limits.ExpiryInterval = TimeSpan.FromMilliseconds(50);
        await using RelayServer relay = RelayServer.Build(options);
        using var http = new HttpClient { BaseAddress = new Uri((await relay.StartAsync())[0]) };
        RelayClient bob = await new RelayClient(http).RegisterAsync();
        await bob.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));

        clock.Now += TimeSpan.FromDays(29);
        await Task.Delay(200);
        Assert.Single((await bob.FetchAsync())["messages"]!.AsArray());

        clock.Now += TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1);
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await bob.FetchAsync())["messages"]!.AsArray().Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the message did not expire");
            await Task.Delay(20);
        }
    }

    /// <summary>Wall time that a test moves; timers still run on real time.</summary>
    private sealed class SettableClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
