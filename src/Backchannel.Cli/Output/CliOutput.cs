using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Backchannel.Cli.Output;

/// <summary>
/// Where the command's results go. With <c>--json</c>: one JSON object per line on stdout and nothing else
/// there (notices go to stderr). Otherwise: Spectre.Console tables and colours on stdout, notices and errors
/// on stderr.
/// </summary>
internal sealed class CliOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    private const int RedirectedWidth = 120;

    private readonly object _gate = new();

    public CliOutput(bool json)
    {
        Json = json;
        Console = AnsiConsole.Console;
        Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
        // Redirected output has no width; do not hard-wrap it at Spectre's default of 80 columns.
        if (System.Console.IsOutputRedirected)
        {
            Console.Profile.Width = RedirectedWidth;
        }
        if (System.Console.IsErrorRedirected)
        {
            Error.Profile.Width = RedirectedWidth;
        }
    }

    public bool Json { get; }

    /// <summary>Human output (stdout).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Human notices and errors (stderr).</summary>
    public IAnsiConsole Error { get; }

    public void JsonLine(JsonObject value)
    {
        string line = value.ToJsonString(JsonOptions);
        lock (_gate)
        {
            System.Console.Out.WriteLine(line);
            System.Console.Out.Flush();
        }
    }

    /// <summary>A side remark for the person; never on stdout in JSON mode.</summary>
    public void Notice(string text)
    {
        lock (_gate)
        {
            if (Json || System.Console.IsErrorRedirected)
            {
                System.Console.Error.WriteLine(text);
            }
            else
            {
                Error.MarkupLine($"[yellow]{Markup.Escape(text)}[/]");
            }
        }
    }

    /// <summary>Reports a failure and returns the exit code.</summary>
    public int Fail(string kind, string message, int exitCode = 1)
    {
        if (Json)
        {
            JsonLine(new JsonObject { ["error"] = kind, ["message"] = message });
        }
        else if (System.Console.IsErrorRedirected)
        {
            System.Console.Error.WriteLine("error: " + message);
        }
        else
        {
            Error.MarkupLine($"[red bold]error:[/] {Markup.Escape(message)}");
        }
        return exitCode;
    }

    public static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
