using Backchannel.Relay;
using Microsoft.Extensions.Logging;

namespace Backchannel.Client.Tests;

/// <summary>The real relay library on a free loopback port with a temporary data folder; restartable on the same port.</summary>
internal sealed class TestRelay : IAsyncDisposable
{
    private RelayServer? _server;

    private TestRelay(string dataDirectory)
    {
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public Uri Url { get; private set; } = null!;

    public static async Task<TestRelay> StartAsync(string dataDirectory)
    {
        var relay = new TestRelay(dataDirectory);
        await relay.StartOnAsync("http://127.0.0.1:0");
        return relay;
    }

    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }

    /// <summary>Starts again on the same port and data, as after an outage.</summary>
    public Task RestartAsync() => StartOnAsync(Url.AbsoluteUri.TrimEnd('/'));

    private async Task StartOnAsync(string url)
    {
        _server = RelayServer.Build(new RelayOptions
        {
            Urls = [url],
            DataDirectory = DataDirectory,
            HandleProcessSignals = false,
            MinimumLogLevel = LogLevel.None,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        });
        IReadOnlyList<string> urls = await _server.StartAsync();
        Url = new Uri(urls[0]);
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
