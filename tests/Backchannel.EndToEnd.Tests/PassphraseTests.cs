using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>The store's passphrase through the real executable: where it comes from, what happens without it.</summary>
public sealed class PassphraseTests : IDisposable
{
    private const string Secret = "a passphrase for the channel";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "bc-e2e-pass-" + Guid.NewGuid().ToString("N")[..10]);
    private RelayProcess? _relay;

    public PassphraseTests()
    {
        Directory.CreateDirectory(_root);
    }

    [Fact]
    public async Task A_store_made_with_a_passphrase_opens_only_with_it_and_keeps_its_history_sealed()
    {
        _relay = await RelayProcess.StartAsync(Path.Combine(_root, "relay-data"));
        var east = new Party("east", Path.Combine(_root, "east"));
        var west = new Party("west", Path.Combine(_root, "west"));
        var withSecret = new Dictionary<string, string> { ["BACKCHANNEL_PASSPHRASE"] = Secret };

        (await Run(east, withSecret, "init", "--name", "east", "--relay", _relay.Url)).Ok();
        await west.InitAsync(_relay.Url);

        Cli.Result locked = await east.RunAsync("invite");
        Assert.NotEqual(0, locked.ExitCode);
        Assert.Equal("PassphraseRequired", locked.Single.Text("error"));
        Cli.Result wrong = await Run(east, new Dictionary<string, string> { ["BACKCHANNEL_PASSPHRASE"] = "guess" }, "invite");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Equal("WrongPassphrase", wrong.Single.Text("error"));

        string invite = (await Run(east, withSecret, "invite")).Ok().Single.Text("invite");
        (await west.RunAsync("accept", invite)).Ok();
        (await Run(east, withSecret, "sync")).Ok();
        Assert.Equal("sent", await west.SendAsync("east", "the text that must stay sealed", "detainees"));
        string file = Path.Combine(_root, "passphrase.txt");
        await File.WriteAllTextAsync(file, Secret + "\n");
        // --passphrase-file, placed after the subcommand like the other global options.
        JsonObject got = Assert.Single((await east.RunAsync("sync", "--passphrase-file", file)).Ok().JsonLines);
        Assert.Equal("the text that must stay sealed", got.Text("text"));

        foreach (string path in Directory.GetFiles(east.Home))
        {
            byte[] content = await File.ReadAllBytesAsync(path);
            Assert.True(content.AsSpan().IndexOf("the text that must stay sealed"u8) < 0, $"plaintext in {Path.GetFileName(path)}");
            Assert.True(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)) < 0, $"passphrase in {Path.GetFileName(path)}");
        }

        Assert.False((await east.RunAsync("passphrase", "remove", "--passphrase-file", file)).Ok().Single["passphrase"]!.GetValue<bool>());
        JsonObject read = Assert.Single((await east.ReadAsync("west", "--topic", "detainees")));
        Assert.Equal("the text that must stay sealed", read.Text("text"));

        Cli.Result noNew = await east.RunAsync("passphrase", "set");
        Assert.Equal("PassphraseRequired", noNew.Single.Text("error"));
        JsonObject set = (await Run(east, new Dictionary<string, string> { ["BACKCHANNEL_NEW_PASSPHRASE"] = "second" }, "passphrase", "set")).Ok().Single;
        Assert.True(set["passphrase"]!.GetValue<bool>());
        Assert.Equal("PassphraseRequired", (await east.RunAsync("read")).Single.Text("error"));
        Assert.Single((await Run(east, new Dictionary<string, string> { ["BACKCHANNEL_PASSPHRASE"] = "second" }, "read")).Ok().JsonLines);
    }

    private static Task<Cli.Result> Run(Party party, IDictionary<string, string> environment, params string[] args) =>
        Cli.RunAsync(["--home", party.Home, "--json", .. args], environment: environment);

    public void Dispose()
    {
        _relay?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
