using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests;

/// <summary>A real relay (Kestrel on 127.0.0.1, a free port) over SQLite in a temporary folder, shared by a test class.</summary>
public class RelayFixture : IAsyncLifetime
{
    private readonly Action<IServiceCollection>? _configureServices;
    private RelayServer? _server;

    public RelayFixture()
        : this(null)
    {
    }

    protected RelayFixture(Action<IServiceCollection>? configureServices)
    {
        _configureServices = configureServices;
    }

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "bc-relay-tests-" + Guid.NewGuid().ToString("N"));

    public Uri BaseAddress { get; private set; } = null!;

    public RelayServer Server => _server!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>
    /// Test classes register many accounts from 127.0.0.1 and test the per-device send bound with one recipient, so
    /// the per-IP registration and per-recipient bounds are lifted here (Abuse/ tests check those on their own relays).
    /// </summary>
    public virtual RelayOptions CreateOptions() => new()
    {
        Urls = ["http://127.0.0.1:0"],
        DataDirectory = DataDirectory,
        MinimumLogLevel = LogLevel.None,
        HandleProcessSignals = false,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
        Limits = new RelayLimits { RegistrationsPerIpPerHour = 100_000, MessagesPerRecipientPerMinute = 100_000 },
    };

    public async Task InitializeAsync()
    {
        _server = RelayServer.Build(CreateOptions(), _configureServices);
        IReadOnlyList<string> urls = await _server.StartAsync();
        BaseAddress = new Uri(urls[0]);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    public RelayClient NewClient() => new(Http);
}
