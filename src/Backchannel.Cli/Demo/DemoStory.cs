using System.Diagnostics;
using System.Text.Json.Nodes;
using Backchannel.Cli.Output;
using Backchannel.Client;
using Backchannel.Relay;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Backchannel.Cli.Demo;

/// <summary>
/// The "New York channel" in one process: an embedded relay on a free loopback port and two envoys, each with
/// its own store, all in a fresh temporary folder (never --home, BACKCHANNEL_HOME or ./relay-data), removed at
/// the end. Told for a person with Spectre.Console; with --json, one summary object.
/// </summary>
internal sealed class DemoStory
{
    private const string East = "envoy-east";
    private const string West = "envoy-west";

    private static readonly (string From, string Topic, string Text)[] Script =
    [
        (East, "relations", "Our side is prepared to discuss a resumption of consular contacts."),
        (West, "relations", "Acknowledged. We can reciprocate if the public rhetoric cools for a month."),
        (East, "detainees", "We raise again the case of the two journalists held since March."),
        (West, "detainees", "Their health is good. A visit by your consul can be arranged next week."),
        (East, "detainees", "Agreed. Propose Thursday, ten o'clock, no press."),
        (West, "relations", "Thursday it is. This channel stays closed to the press."),
    ];

    /// <summary>Sent last and left undelivered, so its ciphertext is certainly in the relay's store during the scan.</summary>
    private const string Pending = "Postscript: the minister approves the Thursday visit.";

    private readonly CliOutput _output;
    private readonly IAnsiConsole _c;

    public DemoStory(CliOutput output)
    {
        _output = output;
        // In JSON mode the story goes to stderr, keeping stdout for the one summary line.
        _c = output.Json ? output.Error : output.Console;
    }

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string root = Path.Combine(Path.GetTempPath(), "backchannel-demo-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        string relayData = Path.Combine(root, "relay-data");
        bool equalNumbers;
        PlaintextScan.Result scan;
        PlaintextScan.Result stores;
        try
        {
            _c.Write(new Rule("[bold]Backchannel demo[/] — the New York channel").RuleStyle("grey"));
            _c.MarkupLine($"[grey]Working in a fresh temporary folder {Markup.Escape(root)}[/]");

            RelayServer relay = RelayServer.Build(new RelayOptions
            {
                Urls = ["http://127.0.0.1:0"],
                DataDirectory = relayData,
                HandleProcessSignals = false,
                MinimumLogLevel = LogLevel.None,
                ShutdownTimeout = TimeSpan.FromSeconds(2),
            });
            await using (relay.ConfigureAwait(false))
            {
                string url = (await relay.StartAsync(ct).ConfigureAwait(false))[0];
                _c.MarkupLine($"[green]✓[/] A relay — the courier, not a party — listens on [bold]{url}[/]; it stores ciphertext only.");

                using BackchannelClient east = BackchannelClient.Open(Path.Combine(root, East));
                using BackchannelClient west = BackchannelClient.Open(Path.Combine(root, West));
                east.Notice += n => _c.MarkupLine($"  [grey]({East}: {Markup.Escape(n)})[/]");
                west.Notice += n => _c.MarkupLine($"  [grey]({West}: {Markup.Escape(n)})[/]");

                await Step("Each envoy creates an identity and registers with the relay", async () =>
                {
                    await east.InitAsync(East, new Uri(url), ct).ConfigureAwait(false);
                    await west.InitAsync(West, new Uri(url), ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
                _c.MarkupLine($"[green]✓[/] [aqua]{East}[/] and [aqua]{West}[/] have identities (Curve25519 + Kyber1024 prekeys uploaded).");

                string invite = east.CreateInvite();
                _c.MarkupLine($"[green]✓[/] [aqua]{East}[/] writes an invite and hands it over out of band:");
                _c.MarkupLine($"    [grey]{Markup.Escape(invite[..Math.Min(48, invite.Length)])}…[/] ({invite.Length} characters)");
                await west.AcceptAsync(invite, null, ct).ConfigureAwait(false);
                _c.MarkupLine($"[green]✓[/] [aqua]{West}[/] accepts: the relay's keys match the invite's identity; session started, introduction sent.");
                await east.SyncAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
                _c.MarkupLine($"[green]✓[/] [aqua]{East}[/] receives the introduction, checks the one-time secret and adds [aqua]{West}[/].");

                _c.Write(new Rule("[bold]The talks[/]").RuleStyle("grey").LeftJustified());
                var byName = new Dictionary<string, BackchannelClient> { [East] = east, [West] = west };
                foreach ((string from, string topic, string text) in Script)
                {
                    string to = from == East ? West : East;
                    SendResult sent = await byName[from].SendAsync(to, text, topic, ct).ConfigureAwait(false);
                    IReadOnlyList<ChatMessage> got = await byName[to].SyncAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
                    foreach (ChatMessage m in got)
                    {
                        string colour = from == East ? "aqua" : "gold1";
                        _c.MarkupLine($"[{colour}]{Markup.Escape(m.From)}[/] [grey]→ {to}[/] [fuchsia]#{Markup.Escape(m.Topic ?? "")}[/]  {Markup.Escape(m.Text)}");
                    }
                    if (got.Count == 0 || sent.Status != MessageStatus.Sent)
                    {
                        throw new InvalidOperationException("A message of the demo was not delivered.");
                    }
                }
                await east.SendAsync(West, Pending, "relations", ct).ConfigureAwait(false);
                _c.MarkupLine($"[grey]{East} sends one more message; {West} has not fetched it yet, so it waits on the relay.[/]");

                _c.Write(new Rule("[bold]The agenda, as each side keeps it[/]").RuleStyle("grey").LeftJustified());
                var agenda = new Table().RoundedBorder().AddColumns("topic", "messages at " + West, "messages at " + East);
                foreach (string topic in new[] { "relations", "detainees" })
                {
                    agenda.AddRow($"#{topic}",
                        west.Read(null, topic, 1000).Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        east.Read(null, topic, 1000).Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                _c.Write(agenda);

                _c.Write(new Rule("[bold]Safety numbers[/]").RuleStyle("grey").LeftJustified());
                VerifyResult eastView = await east.VerifyAsync(West, confirm: false, ct).ConfigureAwait(false);
                VerifyResult westView = await west.VerifyAsync(East, confirm: false, ct).ConfigureAwait(false);
                equalNumbers = eastView.SafetyNumber == westView.SafetyNumber;
                var numbers = new Table().RoundedBorder().AddColumns("who", "sees for the other side");
                numbers.AddRow(East, eastView.SafetyNumber);
                numbers.AddRow(West, westView.SafetyNumber);
                _c.Write(numbers);
                _c.MarkupLine(equalNumbers
                    ? "[green]✓ Both sides see the same number[/]: read aloud over a trusted line, it proves no one is in the middle."
                    : "[red]✗ The safety numbers differ![/]");

                _c.Write(new Rule("[bold]What the relay holds[/]").RuleStyle("grey").LeftJustified());
                var plaintexts = Script.Select(s => s.Text).Append(Pending).ToList();
                scan = PlaintextScan.Scan(relayData, plaintexts);
                int accountHits = PlaintextScan.Count(relayData, east.Account.Account);
                _c.MarkupLine($"Scanned {scan.Files} file(s) of the relay's data folder (database and WAL), {scan.Bytes:N0} bytes,");
                _c.MarkupLine($"for the UTF-8 bytes of each of the {plaintexts.Count} messages:");
                _c.MarkupLine(scan.Found.Count == 0
                    ? $"[green bold]✓ no plaintext found[/] — not one of the {plaintexts.Count} texts appears in what the relay stored."
                    : $"[red bold]✗ plaintext found:[/] {Markup.Escape(string.Join(" | ", scan.Found))}");
                if (accountHits > 0)
                {
                    _c.MarkupLine($"[grey](The scan does see what is there: {East}'s account id appears {accountHits} time(s) — routing metadata, not content.)[/]");
                }
                // The envoys' own stores keep the history, sealed at rest (AES-256-GCM under each store's key).
                stores = PlaintextScan.Scan(Path.Combine(root, East), plaintexts);
                PlaintextScan.Result westStore = PlaintextScan.Scan(Path.Combine(root, West), plaintexts);
                stores = new PlaintextScan.Result(stores.Files + westStore.Files, stores.Bytes + westStore.Bytes, [.. stores.Found.Union(westStore.Found)]);
                _c.MarkupLine(stores.Found.Count == 0
                    ? $"[green]✓[/] Both envoys' own stores ({stores.Files} files, {stores.Bytes:N0} bytes) keep the history sealed at rest: no plaintext there either."
                    : $"[red bold]✗ plaintext in an envoy's store:[/] {Markup.Escape(string.Join(" | ", stores.Found))}");
                await relay.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(root);
        }
        bool removed = !Directory.Exists(root);
        _c.MarkupLine(removed
            ? $"[green]✓[/] Removed the temporary folder. Demo finished in {clock.Elapsed.TotalSeconds:0.0} s."
            : $"[yellow]Could not remove {Markup.Escape(root)}.[/]");
        bool ok = equalNumbers && scan.Found.Count == 0 && stores.Found.Count == 0;
        if (_output.Json)
        {
            _output.JsonLine(new JsonObject
            {
                ["demo"] = ok ? "ok" : "failed",
                ["safetyNumbersEqual"] = equalNumbers,
                ["plaintextFound"] = scan.Found.Count,
                ["plaintextFoundInStores"] = stores.Found.Count,
                ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            });
        }
        return ok ? 0 : 1;
    }

    private async Task Step(string title, Func<Task> work)
    {
        if (_output.Json)
        {
            await work().ConfigureAwait(false);
            return;
        }
        await _c.Status().StartAsync(title + "…", _ => work()).ConfigureAwait(false);
    }

    private static void TryDelete(string folder)
    {
        for (int attempt = 0; attempt < 5 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
