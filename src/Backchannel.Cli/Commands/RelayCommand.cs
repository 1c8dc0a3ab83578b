using System.CommandLine;
using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Backchannel.Client;
using Backchannel.Relay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Backchannel.Cli.Commands;

/// <summary><c>relay</c>: hosts <see cref="RelayServer"/> until SIGINT/SIGTERM.</summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Address to listen on; port 0 picks a free port",
            DefaultValueFactory = _ => "http://127.0.0.1:8080",
            HelpName = "URL",
        };
        var data = new Option<string>("--data")
        {
            Description = "Folder for everything the relay stores (SQLite)",
            DefaultValueFactory = _ => "relay-data",
            HelpName = "DIR",
        };
        var cert = new Option<string?>("--cert")
        {
            Description = "TLS certificate for https:// URLs: PKCS#12 (.pfx/.p12) or PEM",
            HelpName = "PATH",
        };
        var certPassword = new Option<string?>("--cert-password")
        {
            Description = "Password of the PKCS#12 file or of an encrypted PEM key",
            HelpName = "P",
        };
        var certKey = new Option<string?>("--cert-key")
        {
            Description = "PEM private key, when it is not in the --cert file",
            HelpName = "PATH",
        };
        var logLevel = new Option<LogLevel>("--log-level")
        {
            Description = "Lowest level logged to stderr: Trace, Debug, Information, Warning, Error, Critical or None (Debug and below add the framework's per-request lines)",
            DefaultValueFactory = _ => LogLevel.Information,
            HelpName = "LEVEL",
        };
        var command = new Command("relay", "Run a relay until SIGINT/SIGTERM; logs go to stderr") { urls, data, cert, certPassword, certKey, logLevel };
        CommandRunner.SetAction(command, async (p, output, ct) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                try
                {
                    stop.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // Already stopping: the command line's own handler got there first.
                }
            }
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

            string dataDir = Path.GetFullPath(p.GetValue(data)!);
            RelayServer server;
            try
            {
                server = RelayServer.Build(new RelayOptions
                {
                    Urls = p.GetValue(urls)!.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    DataDirectory = dataDir,
                    HandleProcessSignals = false,
                    CertificatePath = p.GetValue(cert) is { } c ? Path.GetFullPath(c) : null,
                    CertificatePassword = p.GetValue(certPassword),
                    CertificateKeyPath = p.GetValue(certKey) is { } k ? Path.GetFullPath(k) : null,
                    MinimumLogLevel = p.GetValue(logLevel),
                });
            }
            catch (OptionsValidationException e)
            {
                throw new BackchannelException(ErrorKinds.BadRequest, string.Join(" ", e.Failures), e);
            }
            await using (server.ConfigureAwait(false))
            {
                IReadOnlyList<string> listening;
                try
                {
                    listening = await server.StartAsync(stop.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw new BackchannelException(ErrorKinds.BadRequest, $"Cannot listen: {e.Message}", e);
                }
                catch (InvalidOperationException e) when (e.InnerException is DbException)
                {
                    // The data folder cannot be opened (read-only without the WAL files, a newer schema on read-only storage).
                    throw new BackchannelException(ErrorKinds.BadRequest, $"Cannot open the relay's storage: {e.Message}", e);
                }
                if (output.Json)
                {
                    var line = new JsonObject { ["listening"] = listening[0] };
                    if (server.CertificatePin is { } pin)
                    {
                        line["pin"] = pin;
                    }
                    output.JsonLine(line);
                }
                else
                {
                    output.Console.Write(new Panel(new Markup(
                        $"listening on [bold]{Markup.Escape(string.Join(", ", listening))}[/]\n" +
                        $"data in [bold]{Markup.Escape(dataDir)}[/]\n" +
                        (server.CertificatePin is { } tlsPin ? $"TLS pin [bold]{Markup.Escape(tlsPin)}[/] (clients: init --pin)\n" : "") +
                        "[grey]It stores ciphertext only. Stop with Ctrl-C or SIGTERM.[/]"))
                        .Header("[green]Backchannel relay[/]").RoundedBorder());
                }
                try
                {
                    await server.RunAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            return 0;
        });
        return command;
    }
}
