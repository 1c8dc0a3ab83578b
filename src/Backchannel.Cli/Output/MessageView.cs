using System.Text.Json.Nodes;
using Backchannel.Client;
using Spectre.Console;

namespace Backchannel.Cli.Output;

/// <summary>How a message looks: JSON objects of DESIGN.md §4.2, or a coloured line for a person.</summary>
internal static class MessageView
{
    /// <summary>
    /// <c>{"id", "from", "topic", "sentAt", "text"}</c> (sync, watch); <c>read</c> adds <c>direction</c>; a channel
    /// message adds <c>channel</c> (its name).
    /// </summary>
    public static JsonObject ToJson(ChatMessage m, bool withDirection)
    {
        var o = new JsonObject
        {
            ["id"] = m.Id,
            ["from"] = m.From,
            ["topic"] = m.Topic,
            ["sentAt"] = CliOutput.Timestamp(m.SentAt),
            ["text"] = m.Text,
        };
        if (withDirection)
        {
            o["direction"] = m.Direction;
        }
        if (m.Channel is not null)
        {
            o["channel"] = m.Channel;
        }
        return o;
    }

    public static void Print(CliOutput output, ChatMessage m, bool withStatus = false)
    {
        string time = m.SentAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        string who = m.Direction == "out"
            ? $"[green]{Markup.Escape(m.From)}[/] [grey]→ {Markup.Escape(m.Alias)}[/]"
            : $"[aqua]{Markup.Escape(m.From)}[/]";
        if (m.Channel is not null)
        {
            who = (m.Direction == "out" ? $"[green]{Markup.Escape(m.From)}[/]" : $"[aqua]{Markup.Escape(m.From)}[/]")
                + $" [blue]@{Markup.Escape(m.Channel)}[/]";
        }
        string topic = m.Topic is null ? "" : $" [fuchsia]#{Markup.Escape(m.Topic)}[/]";
        string status = withStatus && m.Direction == "out" && m.Status != MessageStatus.Sent ? $" [yellow]({m.Status})[/]" : "";
        output.Console.MarkupLine($"[grey]{time}[/] {who}{topic}{status}: {Markup.Escape(m.Text)}");
    }
}
