using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.Reliability.Tests;

/// <summary>
/// `backchannel relay --json` as a child process (as in the end-to-end tests); its first stdout line names the URL.
/// Everything it writes (stdout and stderr) is kept in <see cref="Log"/> for the leak scan.
/// </summary>
internal sealed class RelayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private RelayProcess(Process process, string url, string dataDirectory, IReadOnlyDictionary<string, string>? environment, StringBuilder log)
    {
        _process = process;
        Url = url;
        DataDirectory = dataDirectory;
        Environment = environment;
        _log = log;
    }

    public IReadOnlyDictionary<string, string>? Environment { get; }

    public string Url { get; }

    public string DataDirectory { get; }

    public bool HasExited => _process.HasExited;

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

    public static async Task<RelayProcess> StartAsync(string dataDirectory, string urls = "http://127.0.0.1:0",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ProcessStartInfo psi = Cli.StartInfo(["relay", "--urls", urls, "--json", "--data", dataDirectory]);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
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
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The relay did not report listening within 60 s:\n" + log);
        }
        if (line is null)
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            throw new InvalidOperationException($"The relay exited ({process.ExitCode}) before listening:\n{log}");
        }
        lock (log)
        {
            log.AppendLine(line);
        }
        string url = JsonNode.Parse(line)!["listening"]!.GetValue<string>();
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
        return new RelayProcess(process, url, dataDirectory, environment, log);
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

    /// <summary>Kills hard, then starts a new relay on the same data directory and the same URL (retrying while the port is taken).</summary>
    public async Task<RelayProcess> RestartAsync()
    {
        KillHard();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await StartAsync(DataDirectory, Url, Environment);
            }
            catch (InvalidOperationException) when (attempt < 10)
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
