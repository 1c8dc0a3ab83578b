using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>init</c>, <c>invite</c>, <c>accept</c>.</summary>
internal static class AccountCommands
{
    public static Command Init()
    {
        var name = new Option<string>("--name") { Description = "Your name as contacts will see it", Required = true, HelpName = "NAME" };
        var relay = new Option<string>("--relay") { Description = "The relay's URL, e.g. http://relay.example:8080", Required = true, HelpName = "URL" };
        var pin = new Option<string?>("--pin")
        {
            Description = "The relay's TLS pin (base64 SHA-256 of its certificate key, logged by the relay); required match when set, self-signed allowed",
            HelpName = "PIN",
        };
        var passphrase = new Option<bool>("--passphrase")
        {
            Description = "Protect the store with a passphrase typed twice on the terminal (or given by BACKCHANNEL_PASSPHRASE / --passphrase-file, which protect it without this flag)",
        };
        var command = new Command("init", "Create a new identity, register this device with the relay and upload prekeys") { name, relay, pin, passphrase };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            string relayText = p.GetValue(relay)!;
            if (!Uri.TryCreate(relayText, UriKind.Absolute, out Uri? relayUri) || (relayUri.Scheme != "http" && relayUri.Scheme != "https"))
            {
                throw new BackchannelException(ErrorKinds.BadRequest, $"\"{relayText}\" is not an http(s) URL.");
            }
            using BackchannelClient client = CommandRunner.OpenClient(p, output, promptForNewPassphrase: p.GetValue(passphrase));
            AccountInfo account = output.Json
                ? await client.InitAsync(p.GetValue(name)!, relayUri, p.GetValue(pin), ct).ConfigureAwait(false)
                : await output.Console.Status().StartAsync("Generating keys and registering with the relay…",
                    _ => client.InitAsync(p.GetValue(name)!, relayUri, p.GetValue(pin), ct)).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["account"] = account.Account, ["device"] = account.Device, ["identityKey"] = account.IdentityKey });
                return 0;
            }
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[grey]name[/]", Markup.Escape(account.Name));
            grid.AddRow("[grey]account[/]", account.Account);
            grid.AddRow("[grey]device[/]", account.Device.ToString(System.Globalization.CultureInfo.InvariantCulture));
            grid.AddRow("[grey]relay[/]", Markup.Escape(account.Relay.ToString()));
            grid.AddRow("[grey]home[/]", Markup.Escape(client.Home));
            grid.AddRow("[grey]at rest[/]", client.IsPassphraseProtected ? "sealed; key under your passphrase" : "sealed; key in store.key (no passphrase)");
            output.Console.Write(new Panel(grid).Header("[green]identity created[/]").RoundedBorder());
            output.Console.MarkupLine("Next: [bold]backchannel invite[/] and hand the invite to the other side.");
            return 0;
        });
        return command;
    }

    public static Command InviteCommand()
    {
        var command = new Command("invite", "Print a one-time invite to hand over out of band");
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            string invite = client.CreateInvite();
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["invite"] = invite });
                return Task.FromResult(0);
            }
            output.Error.MarkupLine("[grey]Hand this invite over a channel you trust; it works once:[/]");
            // Plain write: Spectre would wrap the long line at the console width and break copy-and-paste.
            Console.Out.WriteLine(invite);
            Console.Out.Flush();
            output.Error.MarkupLine("[grey]The other side runs:[/] backchannel accept [italic]INVITE[/]");
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Accept()
    {
        var invite = new Argument<string>("INVITE") { Description = "The invite string (bc1.…)" };
        var alias = new Option<string?>("--alias") { Description = "Your name for the inviter (default: the name they chose)", HelpName = "A" };
        var command = new Command("accept", "Accept an invite: check the relay's keys against it, start the session, introduce yourself") { invite, alias };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            ContactInfo contact = await client.AcceptAsync(p.GetValue(invite)!, p.GetValue(alias), ct).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["contact"] = contact.Alias, ["account"] = contact.Account });
                return 0;
            }
            output.Console.MarkupLine($"[green]✓[/] [bold]{Markup.Escape(contact.Alias)}[/] is now a contact; the relay's keys match the invite.");
            int queued = client.OutboxCount();
            output.Console.MarkupLine(queued == 0
                ? "Introduction sent. They will see you after their next [bold]sync[/]."
                : "[yellow]The relay is unreachable: the introduction is queued and goes out with the next send, sync or watch.[/]");
            output.Console.MarkupLine($"Verify the safety number with them: [bold]backchannel verify {Markup.Escape(contact.Alias)}[/]");
            return 0;
        });
        return command;
    }
}
