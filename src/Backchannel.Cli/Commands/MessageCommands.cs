using System.CommandLine;
using System.Text.Json.Nodes;
using Backchannel.Cli.Output;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>send</c>, <c>sync</c>, <c>read</c>, <c>watch</c>.</summary>
internal static class MessageCommands
{
    public static Command Send()
    {
        var alias = new Argument<string>("ALIAS") { Description = "The contact (omit with --channel)" };
        var text = new Argument<string?>("TEXT") { Description = "The message; - reads it from stdin", Arity = ArgumentArity.ZeroOrOne };
        var topic = new Option<string?>("--topic") { Description = "Topic of the message", HelpName = "T" };
        var lines = new Option<bool>("--lines") { Description = "With TEXT -, send each non-empty line of stdin as its own message" };
        var channel = new Option<string?>("--channel") { Description = "Send to every member of this channel (then give only TEXT)", HelpName = "NAME" };
        var command = new Command("send", "Encrypt a message, queue it in the outbox and deliver it") { alias, text, topic, lines, channel };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            string? channelName = p.GetValue(channel);
            string? body = p.GetValue(text);
            if (channelName is not null)
            {
                // `send --channel NAME TEXT`: the one positional value is the text.
                if (body is not null)
                {
                    throw new BackchannelException(ErrorKinds.BadRequest, "With --channel, give only TEXT (no ALIAS).");
                }
                body = p.GetValue(alias)!;
            }
            else if (body is null)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "Usage: backchannel send ALIAS TEXT (or send --channel NAME TEXT).");
            }
            List<string> bodies;
            if (body == "-")
            {
                string input = await Console.In.ReadToEndAsync(ct).ConfigureAwait(false);
                bodies = p.GetValue(lines)
                    ? [.. input.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)]
                    : [input.TrimEnd('\r', '\n')];
            }
            else if (p.GetValue(lines))
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "--lines needs TEXT to be - (stdin).");
            }
            else
            {
                bodies = [body];
            }
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            int queued = 0;
            foreach (string one in bodies)
            {
                SendResult result = channelName is not null
                    ? await client.SendToChannelAsync(channelName, one, p.GetValue(topic), ct).ConfigureAwait(false)
                    : await client.SendAsync(p.GetValue(alias)!, one, p.GetValue(topic), ct).ConfigureAwait(false);
                queued += result.Status == MessageStatus.Sent ? 0 : 1;
                if (output.Json)
                {
                    output.JsonLine(new JsonObject { ["id"] = result.Id, ["status"] = result.Status });
                }
            }
            if (!output.Json)
            {
                string what = bodies.Count == 1 ? "" : $" {bodies.Count} messages";
                output.Console.MarkupLine(queued == 0
                    ? $"[green]✓ sent{what}[/] [grey](stored by the relay)[/]"
                    : $"[yellow]queued{what}[/] [grey]— the relay did not take it now (unreachable or busy); the next send, sync or watch delivers it[/]");
            }
            return 0;
        });
        return command;
    }

    public static Command Sync()
    {
        var wait = new Option<double>("--wait") { Description = "If nothing has arrived, listen up to this many seconds", HelpName = "SECONDS" };
        var command = new Command("sync", "Deliver the outbox, then fetch, decrypt, store and acknowledge new messages") { wait };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            double seconds = p.GetValue(wait);
            if (seconds < 0 || seconds > 86_400)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "--wait must be between 0 and 86400 seconds.");
            }
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            IReadOnlyList<ChatMessage> messages = output.Json
                ? await client.SyncAsync(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false)
                : await output.Console.Status().StartAsync("Syncing with the relay…",
                    _ => client.SyncAsync(TimeSpan.FromSeconds(seconds), ct)).ConfigureAwait(false);
            foreach (ChatMessage m in messages)
            {
                if (output.Json)
                {
                    output.JsonLine(MessageView.ToJson(m, withDirection: false));
                }
                else
                {
                    MessageView.Print(output, m);
                }
            }
            if (!output.Json)
            {
                output.Console.MarkupLine(messages.Count == 0 ? "[grey]No new messages.[/]" : $"[grey]{messages.Count} new message(s).[/]");
                int queued = client.OutboxCount();
                if (queued > 0)
                {
                    output.Console.MarkupLine($"[yellow]{queued} message(s) still queued.[/]");
                }
            }
            return 0;
        });
        return command;
    }

    public static Command Read()
    {
        var alias = new Argument<string?>("ALIAS") { Description = "Only this contact", Arity = ArgumentArity.ZeroOrOne };
        var topic = new Option<string?>("--topic") { Description = "Only this topic", HelpName = "T" };
        var limit = new Option<int>("--limit") { Description = "The newest N messages (default 50)", DefaultValueFactory = _ => 50, HelpName = "N" };
        var channel = new Option<string?>("--channel") { Description = "This channel's history", HelpName = "NAME" };
        var command = new Command("read", "Show local history, oldest first") { alias, topic, limit, channel };
        CommandRunner.SetAction(command, (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            string? channelName = p.GetValue(channel);
            if (channelName is not null && p.GetValue(alias) is not null)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, "Give either ALIAS or --channel, not both.");
            }
            IReadOnlyList<ChatMessage> messages = channelName is not null
                ? client.ReadChannel(channelName, p.GetValue(topic), p.GetValue(limit))
                : client.Read(p.GetValue(alias), p.GetValue(topic), p.GetValue(limit));
            foreach (ChatMessage m in messages)
            {
                if (output.Json)
                {
                    output.JsonLine(MessageView.ToJson(m, withDirection: true));
                }
                else
                {
                    MessageView.Print(output, m, withStatus: true);
                }
            }
            if (!output.Json && messages.Count == 0)
            {
                output.Console.MarkupLine("[grey]No messages.[/]");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command Watch()
    {
        var command = new Command("watch", "Stay connected and print messages as they arrive (Ctrl-C to stop)");
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using BackchannelClient client = CommandRunner.OpenClient(p, output);
            AccountInfo me = client.Account;
            if (!output.Json)
            {
                output.Error.MarkupLine($"[grey]Watching as {Markup.Escape(me.Name)} on {Markup.Escape(me.Relay.ToString())}; Ctrl-C to stop.[/]");
            }
            await client.WatchAsync(m =>
            {
                if (output.Json)
                {
                    output.JsonLine(MessageView.ToJson(m, withDirection: false));
                }
                else
                {
                    MessageView.Print(output, m);
                }
                return Task.CompletedTask;
            }, status =>
            {
                if (output.Json)
                {
                    Console.Error.WriteLine(status);
                }
                else
                {
                    output.Error.MarkupLine($"[grey]{Markup.Escape(status)}[/]");
                }
            }, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
