using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>contacts</c> and <c>verify</c>.</summary>
internal static class ContactCommands
{
    public static Command Contacts()
    {
        var command = new Command("contacts", "List contacts with their safety numbers");
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            IReadOnlyList<ContactInfo> contacts = client.Contacts();
            if (output.Json)
            {
                foreach (ContactInfo c in contacts)
                {
                    output.JsonLine(new JsonObject
                    {
                        ["alias"] = c.Alias,
                        ["account"] = c.Account,
                        ["verified"] = c.Verified,
                        ["safetyNumber"] = c.SafetyNumber,
                    });
                }
                return Task.FromResult(0);
            }
            if (contacts.Count == 0)
            {
                output.Console.MarkupLine("No contacts yet. Use [bold]backchannel invite[/] or [bold]backchannel accept[/].");
                return Task.FromResult(0);
            }
            var table = new Table().RoundedBorder().AddColumns("alias", "account", "verified", "safety number");
            foreach (ContactInfo c in contacts)
            {
                string verified = c.IdentityChanged ? "[red bold]KEY CHANGED[/]" : c.Verified ? "[green]yes[/]" : "[yellow]no[/]";
                table.AddRow(Markup.Escape(c.Alias), c.Account, verified, c.SafetyNumber);
            }
            output.Console.Write(table);
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Verify()
    {
        var alias = new Argument<string>("ALIAS") { Description = "The contact" };
        var confirm = new Option<bool>("--confirm") { Description = "Record the safety number as verified (accepts a changed identity key)" };
        var command = new Command("verify", "Show a contact's safety number; --confirm marks it verified") { alias, confirm };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            string name = p.GetValue(alias)!;
            bool wasChanged = client.Contacts().FirstOrDefault(c => string.Equals(c.Alias, name, StringComparison.OrdinalIgnoreCase))?.IdentityChanged ?? false;
            VerifyResult result = await client.VerifyAsync(name, p.GetValue(confirm), ct).ConfigureAwait(false);
            if (output.Json)
            {
                output.JsonLine(new JsonObject { ["alias"] = result.Alias, ["safetyNumber"] = result.SafetyNumber, ["verified"] = result.Verified });
                return 0;
            }
            if (result.IdentityChanged)
            {
                output.Console.Write(new Panel(new Markup(
                    $"[red bold]The identity key of {Markup.Escape(result.Alias)} has changed.[/]\n" +
                    "Someone may be impersonating them, or they reinstalled. Sending to them is blocked.\n" +
                    "Compare the number below with them over a channel you trust, then run\n" +
                    $"[bold]backchannel verify {Markup.Escape(result.Alias)} --confirm[/]"))
                    .Header("[red]WARNING[/]").BorderColor(Color.Red));
            }
            output.Console.MarkupLine($"Safety number with [bold]{Markup.Escape(result.Alias)}[/]:");
            string[] groups = result.SafetyNumber.Split(' ');
            for (int i = 0; i < groups.Length; i += 4)
            {
                output.Console.MarkupLine("    [bold]" + string.Join("  ", groups.Skip(i).Take(4)) + "[/]");
            }
            if (p.GetValue(confirm))
            {
                output.Console.MarkupLine(wasChanged
                    ? "[green]✓ New identity key accepted and marked verified; sending is unblocked.[/]"
                    : "[green]✓ Marked verified.[/]");
            }
            else if (!result.IdentityChanged)
            {
                output.Console.MarkupLine(result.Verified
                    ? "[green]verified[/]"
                    : $"[yellow]not verified[/] — compare with them, then [bold]backchannel verify {Markup.Escape(result.Alias)} --confirm[/]");
            }
            return 0;
        });
        return command;
    }
}
