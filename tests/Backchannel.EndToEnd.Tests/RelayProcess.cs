using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>`backchannel relay --json` as a child process; its first stdout line names the URL it listens on.</summary>
internal sealed class RelayProcess : IDisposable
{
    private readonly Process _process;

    private RelayProcess(Process process, string url, string dataDirectory, IReadOnlyDictionary<string, string>? environment)
    {
        _process = process;
        Url = url;
        DataDirectory = dataDirectory;
        Environment = environment;
    }

    public IReadOnlyDictionary<string, string>? Environment { get; }

    public string Url { get; }

    public string DataDirectory { get; }

    public static async Task<RelayProcess> StartAsync(string dataDirectory, string urls = "http://127.0.0.1:0",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        ProcessStartInfo psi = Cli.StartInfo(["relay", "--urls", urls, "--json", "--data", dataDirectory]);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        var process = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The relay did not report listening within 30 s:\n" + log);
        }
        if (line is null)
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            throw new InvalidOperationException($"The relay exited ({process.ExitCode}) before listening:\n{log}");
        }
        string url = JsonNode.Parse(line)!["listening"]!.GetValue<string>();
        // Keep draining stdout so the relay never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return new RelayProcess(process, url, dataDirectory, environment);
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
        using (Process kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)
        {
            kill.WaitForExit(5000);
        }
        return _process.WaitForExit(timeout) && _process.ExitCode == 0;
    }

    public Task<RelayProcess> RestartAsync()
    {
        KillHard();
        return StartAsync(DataDirectory, Url, Environment);
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
