using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>channel create|add|remove|list</c>: channels with several principals (sender keys).</summary>
internal static class ChannelCommands
{
    public static Command Create()
    {
        var command = new Command("channel", "Channels with several members: create, add, remove, list");
        command.Subcommands.Add(CreateChannel());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command CreateChannel()
    {
        var name = new Argument<string>("NAME") { Description = "The channel's name" };
        var with = new Option<string>("--with") { Description = "The members besides you: contact aliases, comma-separated", HelpName = "ALIAS[,ALIAS…]", Required = true };
        var command = new Command("create", "Create a channel with contacts and send them its member list and your sender key") { name, with };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            string[] aliases = p.GetValue(with)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            ChannelInfo channel = await client.CreateChannelAsync(p.GetValue(name)!, aliases, ct).ConfigureAwait(false);
            Print(output, channel, "created");
            return 0;
        });
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("NAME") { Description = "The channel" };
        var alias = new Argument<string>("ALIAS") { Description = "The contact to add" };
        var command = new Command("add", "Add a contact to a channel and tell every member") { name, alias };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            ChannelInfo channel = await client.AddChannelMemberAsync(p.GetValue(name)!, p.GetValue(alias)!, ct).ConfigureAwait(false);
            Print(output, channel, "updated");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("NAME") { Description = "The channel" };
        var alias = new Argument<string>("ALIAS") { Description = "The member to remove" };
        var command = new Command("remove", "Remove a member; every remaining member rotates its sender key") { name, alias };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            ChannelInfo channel = await client.RemoveChannelMemberAsync(p.GetValue(name)!, p.GetValue(alias)!, ct).ConfigureAwait(false);
            Print(output, channel, "updated");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List channels and their members");
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            IReadOnlyList<ChannelInfo> channels = client.Channels();
            if (output.Json)
            {
                foreach (ChannelInfo c in channels)
                {
                    output.JsonLine(ToJson(c));
                }
                return Task.FromResult(0);
            }
            if (channels.Count == 0)
            {
                output.Console.MarkupLine("No channels yet. Use [bold]backchannel channel create NAME --with ALIAS[/].");
                return Task.FromResult(0);
            }
            var table = new Table().RoundedBorder().AddColumns("channel", "members", "id");
            foreach (ChannelInfo c in channels)
            {
                string name = c.IsMember ? Markup.Escape(c.Name) : $"{Markup.Escape(c.Name)} [grey](removed)[/]";
                table.AddRow(name, Markup.Escape(string.Join(", ", c.Members)), c.Id);
            }
            output.Console.Write(table);
            return Task.FromResult(0);
        });
        return command;
    }

    private static JsonObject ToJson(ChannelInfo c) => new()
    {
        ["channel"] = c.Name,
        ["members"] = new JsonArray([.. c.Members.Select(m => (JsonNode?)JsonValue.Create(m))]),
        ["id"] = c.Id,
    };

    private static void Print(Backchannel.Cli.Output.CliOutput output, ChannelInfo channel, string what)
    {
        if (output.Json)
        {
            output.JsonLine(ToJson(channel));
            return;
        }
        output.Console.MarkupLine($"[green]✓ channel {Markup.Escape(channel.Name)} {what}[/]: {Markup.Escape(string.Join(", ", channel.Members))}");
    }
}
