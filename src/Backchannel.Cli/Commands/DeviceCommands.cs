using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>device link|approve|list|remove</c>: several devices for one account.</summary>
internal static class DeviceCommands
{
    public static Command Create()
    {
        var command = new Command("device", "Several devices for one account: link, approve, list, remove");
        command.Subcommands.Add(Link());
        command.Subcommands.Add(Approve());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Link()
    {
        var relay = new Option<string>("--relay") { Description = "The relay's URL (the one your account uses)", Required = true, HelpName = "URL" };
        var name = new Option<string?>("--name") { Description = "A name for this device, shown by `device list`", HelpName = "NAME" };
        var wait = new Option<int>("--wait") { Description = "How long to wait for the approval, in seconds (default 600)", HelpName = "SECONDS", DefaultValueFactory = _ => 600 };
        var pin = new Option<string?>("--pin") { Description = "For a relay with a self-signed certificate: its key pin, as for init", HelpName = "PIN" };
        var passphrase = new Option<bool>("--passphrase") { Description = "Protect this device's store with a passphrase typed twice on the terminal (as for init)" };
        var command = new Command("link", "On a NEW device (fresh --home): print a link code and wait until an existing device approves it") { relay, name, wait, pin, passphrase };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            string relayText = p.GetValue(relay)!;
            if (!Uri.TryCreate(relayText, UriKind.Absolute, out Uri? relayUri) || (relayUri.Scheme != "http" && relayUri.Scheme != "https"))
            {
                throw new BackchannelException(ErrorKinds.BadRequest, $"\"{relayText}\" is not an http(s) URL.");
            }
            int seconds = p.GetValue(wait);
            if (seconds < 1)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "--wait must be at least 1 second.");
            }
            using BackchannelClient client = CommandRunner.OpenClient(p, output, promptForNewPassphrase: p.GetValue(passphrase));
            using BackchannelClient.PendingLink link = await client.StartLinkAsync(relayUri, p.GetValue(pin), ct).ConfigureAwait(false);
            // The code goes to stderr: with --json, stdout carries only the final object.
            output.Error.MarkupLine("[grey]On an existing device of your account, run:[/]");
            Console.Error.WriteLine($"backchannel device approve {link.Code}");
            Console.Error.Flush();
            AccountInfo account = output.Json
                ? await client.CompleteLinkAsync(link, p.GetValue(name), TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false)
                : await output.Console.Status().StartAsync("Waiting for the approval…",
                    _ => client.CompleteLinkAsync(link, p.GetValue(name), TimeSpan.FromSeconds(seconds), ct)).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["account"] = account.Account, ["device"] = account.Device });
                return 0;
            }
            output.Console.MarkupLine($"[green]✓[/] Linked as device {account.Device} of [bold]{Markup.Escape(account.Name)}[/] ({account.Account}).");
            output.Console.MarkupLine("Run [bold]backchannel sync[/] to receive messages here.");
            return 0;
        });
        return command;
    }

    private static Command Approve()
    {
        var code = new Argument<string>("CODE") { Description = "The link code the new device shows (bcl1.…)" };
        var command = new Command("approve", "On an EXISTING device: approve a new device, handing it this account's identity, contacts, channels and history") { code };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            await client.ApproveAsync(p.GetValue(code)!, ct).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["approved"] = true });
                return 0;
            }
            output.Console.MarkupLine("[green]✓[/] Approved. The new device finishes linking by itself; the channels come with the approval, the history on its first sync.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List this account's devices");
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            IReadOnlyList<DeviceInfo> devices = await client.DevicesAsync(ct).ConfigureAwait(false);
            if (output.Json)
            {
                foreach (DeviceInfo d in devices)
                {
                    output.JsonLine(new JsonObject
                    {
                        ["device"] = d.Device,
                        ["name"] = d.Name,
                        ["createdAt"] = d.CreatedAt,
                        ["lastSeenAt"] = d.LastSeenAt,
                        ["current"] = d.Current,
                    });
                }
                return 0;
            }
            var table = new Table().RoundedBorder().AddColumn("device").AddColumn("name").AddColumn("created").AddColumn("last seen");
            foreach (DeviceInfo d in devices)
            {
                table.AddRow(
                    d.Current ? $"[bold]{d.Device}[/] [green](this one)[/]" : d.Device.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(d.Name ?? "–"),
                    Date(d.CreatedAt),
                    d.LastSeenAt is { } seen ? DateTimeOffset.FromUnixTimeMilliseconds(seen).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "–");
            }
            output.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<int>("ID") { Description = "The device id (see `device list`)" };
        var command = new Command("remove", "Remove a device of this account; its credential stops working at once") { id };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            int device = p.GetValue(id);
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            await client.RemoveDeviceAsync(device, ct).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["removed"] = device });
                return 0;
            }
            output.Console.MarkupLine($"[green]✓[/] Device {device} removed.");
            return 0;
        });
        return command;
    }

    private static string Date(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
