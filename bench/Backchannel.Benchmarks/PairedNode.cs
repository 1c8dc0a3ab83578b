using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Backchannel.Benchmarks;

/// <summary>
/// One libsignal version running one workload in <c>bench.mjs --paired</c> mode: started (and warmed up) once, then
/// asked for one timed batch at a time, so that bench/compare can alternate its batches with ours and both sides
/// are timed under the same machine conditions (this host's speed drifts by tens of percent over seconds).
/// </summary>
internal sealed class PairedNode : IDisposable
{
    private readonly Process _process;

    private PairedNode(Process process, int batchOps)
    {
        _process = process;
        BatchOps = batchOps;
    }

    public int BatchOps { get; }

    /// <summary>Starts bench.mjs for <paramref name="workload"/> and waits until it has warmed up.</summary>
    public static PairedNode Start(string benchDir, string packageDir, string workload, HarnessOptions options)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(benchDir, "libsignal", "bench.mjs"), packageDir, "--paired", workload,
                     "--warmup-ms", options.WarmupMs.ToString(CultureInfo.InvariantCulture),
                     "--batch-ms", options.BatchMs.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        try
        {
            using var ready = JsonDocument.Parse(ReadLine(process, "ready"));
            return new PairedNode(process, ready.RootElement.GetProperty("batchOps").GetInt32());
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs one timed batch in the node process; returns its ops/s.</summary>
    public double Batch()
    {
        _process.StandardInput.WriteLine("batch");
        _process.StandardInput.Flush();
        using var answer = JsonDocument.Parse(ReadLine(_process, "batch"));
        return answer.RootElement.GetProperty("opsPerSec").GetDouble();
    }

    private static string ReadLine(Process process, string what) =>
        process.StandardOutput.ReadLine()
        ?? throw new InvalidOperationException($"bench.mjs --paired ended before its {what} answer (exit code {(process.WaitForExit(5000) ? process.ExitCode : -1)})");

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
