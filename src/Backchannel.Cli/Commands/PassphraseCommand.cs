using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>passphrase set|remove</c>: protect the store's key with a passphrase, change it, or drop it.</summary>
internal static class PassphraseCommand
{
    private const string NewEnvironmentVariable = "BACKCHANNEL_NEW_PASSPHRASE";

    public static Command Create()
    {
        var command = new Command("passphrase", "Protect this device's store with a passphrase (Argon2id), change it or remove it");
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Set()
    {
        var file = new Option<string?>("--new-passphrase-file")
        {
            Description = $"File whose first line is the new passphrase (else {NewEnvironmentVariable}, else typed twice on the terminal)",
            HelpName = "FILE",
        };
        var command = new Command("set", "Set or change the passphrase; the current one, if any, unlocks the store first") { file };
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            string? fresh = PassphraseSource.FromFileOrEnvironment(p.GetValue(file), NewEnvironmentVariable);
            if (fresh is null)
            {
                if (output.Json || Console.IsInputRedirected)
                {
                    throw new BackchannelException(ErrorKinds.PassphraseRequired,
                        $"No new passphrase: set {NewEnvironmentVariable}, pass --new-passphrase-file FILE, or run in a terminal to be asked.");
                }
                fresh = PassphraseSource.PromptTwice("New passphrase: ");
            }
            client.SetPassphrase(fresh);
            return Task.FromResult(Report(output, client));
        });
        return command;
    }

    private static Command Remove()
    {
        var command = new Command("remove", "Drop the passphrase: the store's key is kept in store.key (owner-only) instead");
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            client.SetPassphrase(null);
            return Task.FromResult(Report(output, client));
        });
        return command;
    }

    private static int Report(Output.CliOutput output, BackchannelClient client)
    {
        bool protectedNow = client.IsPassphraseProtected;
        if (output.Json)
        {
            output.JsonLine(new JsonObject { ["passphrase"] = protectedNow });
            return 0;
        }
        output.Console.MarkupLine(protectedNow
            ? "[green]✓[/] The store's key is now wrapped under your passphrase (Argon2id). Keep it safe: without it the store cannot be opened."
            : "[yellow]![/] No passphrase: the store's key is in store.key, readable by your user only.");
        return 0;
    }
}
