using System.Text;
using Backchannel.Client;

namespace Backchannel.Cli;

/// <summary>
/// Where the store's passphrase comes from, first match wins: <c>--passphrase-file FILE</c> (its first line),
/// <c>BACKCHANNEL_PASSPHRASE</c>, else a prompt on the terminal (never with <c>--json</c> or redirected input).
/// A new store gets a passphrase only when one is given that way, or, with <c>--passphrase</c> on
/// <c>init</c>/<c>device link</c>, typed twice at the prompt.
/// </summary>
internal sealed class PassphraseSource(string? file, bool json, bool promptForNew, string home)
{
    public const string EnvironmentVariable = "BACKCHANNEL_PASSPHRASE";

    public string? Ask(PassphrasePurpose purpose)
    {
        if (FromFileOrEnvironment(file, EnvironmentVariable) is { } given)
        {
            return given;
        }
        bool canPrompt = !json && !Console.IsInputRedirected;
        if (purpose == PassphrasePurpose.Unlock)
        {
            return canPrompt ? Prompt($"Passphrase for {home}: ") : null;
        }
        if (!promptForNew)
        {
            return null;
        }
        if (!canPrompt)
        {
            throw new BackchannelException(ErrorKinds.PassphraseRequired,
                $"--passphrase needs a terminal to ask on; otherwise set {EnvironmentVariable} or pass --passphrase-file FILE.");
        }
        return PromptTwice("New passphrase for this store: ");
    }

    /// <summary>The first line of <paramref name="path"/> if given, else the environment variable, else null.</summary>
    public static string? FromFileOrEnvironment(string? path, string variable)
    {
        if (path is not null)
        {
            try
            {
                using var reader = new StreamReader(path, Encoding.UTF8);
                string line = reader.ReadLine() ?? "";
                return line.Length > 0
                    ? line
                    : throw new BackchannelException(ErrorKinds.BadRequest, $"The passphrase file {path} is empty.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, $"Cannot read the passphrase file {path}: {e.Message}");
            }
        }
        return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
    }

    public static string PromptTwice(string prompt)
    {
        string first = Prompt(prompt);
        if (first.Length == 0)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The passphrase is empty.");
        }
        if (Prompt("Again, to be sure: ") != first)
        {
            throw new BackchannelException(ErrorKinds.BadRequest, "The two passphrases differ; nothing was changed.");
        }
        return first;
    }

    /// <summary>Reads a line from the terminal without echoing it; the prompt goes to stderr.</summary>
    public static string Prompt(string prompt)
    {
        Console.Error.Write(prompt);
        var typed = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (typed.Length > 0)
                {
                    typed.Length--;
                }
                continue;
            }
            if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
