namespace Backchannel.Client.Tests;

/// <summary>A relay and any number of clients, each in its own folder under one temporary root, all removed at the end.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    private readonly List<BackchannelClient> _clients = [];

    private Scenario(string root, TestRelay relay)
    {
        Root = root;
        Relay = relay;
    }

    public string Root { get; }

    public TestRelay Relay { get; }

    public List<string> Notices { get; } = [];

    public static async Task<Scenario> StartAsync()
    {
        string root = Path.Combine(Path.GetTempPath(), "bc-client-tests-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        return new Scenario(root, await TestRelay.StartAsync(Path.Combine(root, "relay")));
    }

    public string HomeOf(string name) => Path.Combine(Root, name);

    public BackchannelClient Open(string name, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        BackchannelClient client = BackchannelClient.Open(HomeOf(name), time, handler);
        client.Notice += n =>
        {
            lock (Notices)
            {
                Notices.Add($"{name}: {n}");
            }
        };
        _clients.Add(client);
        return client;
    }

    public async Task<BackchannelClient> NewAsync(string name, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        BackchannelClient client = Open(name, handler, time);
        await client.InitAsync(name, Relay.Url);
        return client;
    }

    /// <summary>Two principals who went through invite, accept and the inviter's sync.</summary>
    public async Task<(BackchannelClient East, BackchannelClient West)> PairAsync(
        HttpMessageHandler? westHandler = null, HttpMessageHandler? eastHandler = null)
    {
        BackchannelClient east = await NewAsync("east", eastHandler);
        BackchannelClient west = await NewAsync("west", westHandler);
        await west.AcceptAsync(east.CreateInvite());
        await east.SyncAsync();
        return (east, west);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (BackchannelClient c in _clients)
        {
            c.Dispose();
        }
        await Relay.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
