using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Cli;
using Backchannel.Cli.Commands;

// The `backchannel` command (DESIGN.md §4.2): a table of contents of its subcommands.
var root = new RootCommand("Backchannel: a confidential back-channel with end-to-end encryption over a self-hosted relay")
{
    GlobalOptions.Home,
    GlobalOptions.Json,
    GlobalOptions.PassphraseFile,
};
root.Subcommands.Add(RelayCommand.Create());
root.Subcommands.Add(AccountCommands.Init());
root.Subcommands.Add(AccountCommands.InviteCommand());
root.Subcommands.Add(AccountCommands.Accept());
root.Subcommands.Add(ContactCommands.Contacts());
root.Subcommands.Add(MessageCommands.Send());
root.Subcommands.Add(MessageCommands.Sync());
root.Subcommands.Add(MessageCommands.Read());
root.Subcommands.Add(MessageCommands.Watch());
root.Subcommands.Add(ContactCommands.Verify());
root.Subcommands.Add(ChannelCommands.Create());
root.Subcommands.Add(DeviceCommands.Create());
root.Subcommands.Add(PassphraseCommand.Create());
root.Subcommands.Add(DemoCommand.Create());

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && args.Contains("--json"))
{
    // Scripts get the documented error shape for usage errors too.
    var error = new JsonObject
    {
        ["error"] = "BadRequest",
        ["message"] = string.Join(" ", parsed.Errors.Select(e => e.Message)),
    };
    Console.Out.WriteLine(error.ToJsonString());
    return 2;
}
return await parsed.InvokeAsync().ConfigureAwait(false);
