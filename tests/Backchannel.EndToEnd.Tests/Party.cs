using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>One person's home folder; every command runs with <c>--home</c> and <c>--json</c>.</summary>
internal sealed class Party
{
    public Party(string name, string home)
    {
        Name = name;
        Home = home;
    }

    public string Name { get; }

    public string Home { get; }

    public Task<Cli.Result> RunAsync(params string[] args) => Cli.RunAsync(["--home", Home, "--json", .. args]);

    public async Task<JsonObject> InitAsync(string relayUrl) =>
        (await RunAsync("init", "--name", Name, "--relay", relayUrl)).Ok().Single;

    public async Task<string> InviteAsync() => (await RunAsync("invite")).Ok().Single.Text("invite");

    public async Task<IReadOnlyList<JsonObject>> SyncAsync() => (await RunAsync("sync")).Ok().JsonLines;

    public async Task<string> SendAsync(string alias, string text, string? topic = null)
    {
        Cli.Result r = topic is null ? await RunAsync("send", alias, text) : await RunAsync("send", alias, text, "--topic", topic);
        return r.Ok().Single.Text("status");
    }

    /// <summary>Sends each text as its own message in one process (<c>send ALIAS - --lines</c>); one status per text.</summary>
    public Task<Cli.Result> SendLinesAsync(string alias, IEnumerable<string> texts, TimeSpan? timeout = null) =>
        Cli.RunAsync(["--home", Home, "--json", "send", alias, "-", "--lines"], stdin: string.Join('\n', texts) + "\n",
            timeout: timeout ?? TimeSpan.FromSeconds(180));

    public async Task<IReadOnlyList<JsonObject>> ReadAsync(params string[] filters) =>
        (await RunAsync(["read", "--limit", "1000000", .. filters])).Ok().JsonLines;
}
