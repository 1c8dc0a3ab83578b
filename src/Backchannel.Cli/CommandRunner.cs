using System.CommandLine;
using Backchannel.Cli.Output;
using Backchannel.Client;

namespace Backchannel.Cli;

/// <summary>
/// Runs a command body with its output and turns failures into the documented shapes: a
/// <see cref="BackchannelException"/> becomes <c>{"error": KIND, "message"}</c> (or a red line) and exit 1.
/// </summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, Func<ParseResult, CliOutput, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parseResult, ct) =>
        {
            var output = new CliOutput(parseResult.GetValue(GlobalOptions.Json));
            try
            {
                return await body(parseResult, output, ct).ConfigureAwait(false);
            }
            catch (BackchannelException e)
            {
                return output.Fail(e.Kind, e.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 130;
            }
#pragma warning disable CA1031 // The last line of defence: an unexpected failure still gets the documented error shape.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return output.Fail("Internal", $"{e.GetType().Name}: {e.Message}");
            }
        });
    }

    /// <summary>
    /// Opens the client for the chosen home, unlocking it with the passphrase from <see cref="PassphraseSource"/> when it
    /// is protected, and wiring its notices to the output. <paramref name="promptForNewPassphrase"/>: a new store asks
    /// for a passphrase on the terminal (init/link <c>--passphrase</c>).
    /// </summary>
    public static BackchannelClient OpenClient(ParseResult parseResult, CliOutput output, bool promptForNewPassphrase = false)
    {
        string home = GlobalOptions.ResolveHome(parseResult.GetValue(GlobalOptions.Home));
        var passphrase = new PassphraseSource(parseResult.GetValue(GlobalOptions.PassphraseFile), output.Json, promptForNewPassphrase, home);
        BackchannelClient client = BackchannelClient.Open(home, new ClientOpenOptions { Passphrase = passphrase.Ask });
        client.Notice += output.Notice;
        return client;
    }
}
