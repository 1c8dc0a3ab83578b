using System.CommandLine;

namespace Backchannel.Cli;

/// <summary><c>--home</c>, <c>--json</c> and <c>--passphrase-file</c>, accepted before or after the subcommand (recursive options).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Home = new("--home")
    {
        Description = "Folder holding this identity's store (else BACKCHANNEL_HOME, else ~/.backchannel)",
        Recursive = true,
        HelpName = "DIR",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output: JSON lines on stdout",
        Recursive = true,
    };

    public static readonly Option<string?> PassphraseFile = new("--passphrase-file")
    {
        Description = "File whose first line is the store's passphrase (else BACKCHANNEL_PASSPHRASE, else asked on the terminal)",
        Recursive = true,
        HelpName = "FILE",
    };

    public static string ResolveHome(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return Path.GetFullPath(option);
        }
        string? env = Environment.GetEnvironmentVariable("BACKCHANNEL_HOME");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Path.GetFullPath(env);
        }
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".backchannel");
    }
}
