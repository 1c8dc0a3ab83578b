using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>
/// <c>backchannel relay --json</c> as a child process; its first stdout line names the URL it listens on.
/// Everything it writes (stdout and stderr) is kept in <see cref="Log"/> (the reliability suite's leak scan reads it).
/// Shared by the end-to-end and reliability suites (linked, not copied).
/// </summary>
internal sealed class RelayProcess : IDisposable
{
    /// <summary>Restarts retry this often while the old relay's port is still taken.</summary>
    private const int RestartAttempts = 10;

    private readonly Process _process;
    private readonly StringBuilder _log;

    private RelayProcess(Process process, string url, string dataDirectory, RelayProcessOptions options, StringBuilder log)
    {
        _process = process;
        Url = url;
        DataDirectory = dataDirectory;
        Options = options;
        _log = log;
    }

    public RelayProcessOptions Options { get; }

    public string Url { get; }

    /// <summary>With <c>--cert</c>: the certificate's key pin from the relay's first line.</summary>
    public string? Pin { get; private init; }

    public string DataDirectory { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the relay wrote so far, stdout and stderr interleaved by line.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<RelayProcess> StartAsync(string dataDirectory, RelayProcessOptions? options = null)
    {
        options ??= new RelayProcessOptions();
        List<string> args = ["relay", "--urls", options.Urls, "--json", "--data", dataDirectory];
        if (options.LogLevel is not null)
        {
            args.AddRange(["--log-level", options.LogLevel]);
        }
        args.AddRange(options.ExtraArguments ?? []);
        ProcessStartInfo psi = Cli.StartInfo(args);
        foreach ((string key, string value) in options.Environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        var process = Process.Start(psi)!;
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(options.StartTimeout);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The relay did not report listening within {options.StartTimeout.TotalSeconds} s:\n{log}");
        }
        // The first line is {"listening": URL}, or the error that stopped the relay before it listened.
        JsonObject? first = line is null ? null : JsonNode.Parse(line) as JsonObject;
        string? url = first?["listening"]?.GetValue<string>();
        if (url is null)
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            lock (log)
            {
                throw new InvalidOperationException($"The relay exited ({process.ExitCode}) before listening: {line}\n{log}");
            }
        }
        lock (log)
        {
            log.AppendLine(line);
        }
        // Keep draining stdout (into the log) so the relay never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            string? more;
            while ((more = await process.StandardOutput.ReadLineAsync()) is not null)
            {
                lock (log)
                {
                    log.AppendLine(more);
                }
            }
        });
        return new RelayProcess(process, url, dataDirectory, options, log) { Pin = first?["pin"]?.GetValue<string>() };
    }

    /// <summary>SIGKILL: no shutdown, no flush — as a power cut would.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, then waits; true when the relay exited with code 0 in time.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        using (Process kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))!)
        {
            kill.WaitForExit(5000);
        }
        return _process.WaitForExit(timeout) && _process.ExitCode == 0;
    }

    /// <summary>Kills hard, then starts a new relay on the same data directory, URL and options (retrying while the port is taken).</summary>
    public async Task<RelayProcess> RestartAsync()
    {
        KillHard();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartAsync(DataDirectory, Options with { Urls = Url });
            }
            catch (InvalidOperationException) when (attempt < RestartAttempts)
            {
                await Task.Delay(500);
            }
        }
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
