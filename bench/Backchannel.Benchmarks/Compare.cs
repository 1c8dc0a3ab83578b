using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Backchannel.Benchmarks.Suites;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks;

/// <summary>
/// bench/compare: installs the pinned libsignal packages (npm ci, output to stderr), then measures every workload
/// on our side and on libsignal in the same run, one workload at a time, and prints one table and the RATIO lines
/// (ours divided by the newest libsignal). Ops/s on both sides come from the same Stopwatch method
/// (<see cref="Harness"/> and bench.mjs). The timed batches alternate: ours, newest libsignal, 0.90.0 (1:1 only),
/// ours, … (<see cref="PairedNode"/>), and a ratio is the median of the per-round ratios, so a drift of the machine's
/// speed during the run moves both sides alike. Allocated bytes per operation come from BenchmarkDotNet's
/// MemoryDiagnoser in the full mode, from the harness's per-thread allocation counter with --quick.
/// </summary>
internal static class Compare
{
    private static readonly string[] OneToOne = ["setup", "oneway", "pingpong", "sealed"];
    private static readonly string[] RatioLines = ["setup", "oneway", "pingpong", "group", "sealed"];

    // Which BenchmarkDotNet case measures which workload (full mode).
    private static readonly Dictionary<string, string> BdnCase = new()
    {
        ["setup"] = $"{nameof(SessionSetupBenchmarks)}.{nameof(SessionSetupBenchmarks.BothRoles)}",
        ["oneway"] = $"{nameof(MessagingBenchmarks)}.{nameof(MessagingBenchmarks.OneWay)}",
        ["pingpong"] = $"{nameof(MessagingBenchmarks)}.{nameof(MessagingBenchmarks.PingPong)}",
        ["group"] = $"{nameof(MessagingBenchmarks)}.{nameof(MessagingBenchmarks.Group)}",
        ["sealed"] = $"{nameof(MessagingBenchmarks)}.{nameof(MessagingBenchmarks.Sealed)}",
        ["fingerprint"] = $"{nameof(FingerprintBenchmarks)}.{nameof(FingerprintBenchmarks.SafetyNumber)}",
    };

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var options = quick ? HarnessOptions.Quick : HarnessOptions.Full;
        var started = DateTimeOffset.UtcNow;
        var benchDir = FindBenchDir();
        var latestDir = Path.Combine(benchDir, "libsignal", "latest");
        var oldDir = Path.Combine(benchDir, "libsignal", "v0.90.0");

        Log("setup: npm ci in bench/libsignal/latest and bench/libsignal/v0.90.0");
        Install(latestDir);
        Install(oldDir);
        var latestVersion = InstalledVersion(latestDir);
        var oldVersion = InstalledVersion(oldDir);

        var rows = new List<Row>();
        foreach (var factory in Harness.All)
        {
            var workload = factory();
            rows.Add(MeasurePaired(workload, options, benchDir, latestDir, OneToOne.Contains(workload.Name) ? oldDir : null,
                latestVersion, oldVersion));
        }

        Dictionary<string, (double MedianNs, long? Bytes)>? bdn = null;
        if (!quick)
        {
            Log("BenchmarkDotNet (in-process, MemoryDiagnoser): allocations and a second opinion on our times");
            bdn = RunBenchmarkDotNet();
        }

        PrintTable(rows, bdn, quick, options, started, latestVersion, oldVersion);
        return 0;
    }

    /// <summary>
    /// Warms up each side in turn (libsignal first, alone, then ours), then runs the timed batches in rounds:
    /// one of ours, then one of each libsignal version.
    /// </summary>
    private static Row MeasurePaired(Workload workload, HarnessOptions options, string benchDir, string latestDir, string? oldDir,
        string latestVersion, string oldVersion)
    {
        Log($"{workload.Name}: warming up libsignal {latestVersion}{(oldDir is null ? "" : $" and {oldVersion}")}");
        using var latest = PairedNode.Start(benchDir, latestDir, workload.Name, options);
        using var old = oldDir is null ? null : PairedNode.Start(benchDir, oldDir, workload.Name, options);
        Log($"{workload.Name}: warming up ours");
        var size = Harness.WarmUp(workload, options);
        var ours = new double[options.Batches];
        var theirs = new double[options.Batches];
        var olds = new double[options.Batches];
        var ratios = new double[options.Batches];
        var oldRatios = new double[options.Batches];
        long allocated = 0;
        for (var b = 0; b < options.Batches; b++)
        {
            (ours[b], var bytes) = Harness.TimedBatch(workload, size);
            allocated += bytes;
            theirs[b] = latest.Batch();
            ratios[b] = ours[b] / theirs[b];
            if (old is not null)
            {
                olds[b] = old.Batch();
                oldRatios[b] = ours[b] / olds[b];
            }
        }

        var result = new HarnessResult(workload.Name, Harness.Median(ours), size, ours, (double)allocated / ((long)size * options.Batches));
        var latestResult = new NodeResult(Harness.Median(theirs), theirs, Harness.Median(ratios), ratios);
        var oldResult = old is null ? null : new NodeResult(Harness.Median(olds), olds, Harness.Median(oldRatios), oldRatios);
        Log(string.Create(CultureInfo.InvariantCulture,
            $"{workload.Name}: ours {result.OpsPerSec:F1} ops/s, {result.AllocatedBytesPerOp:F0} B/op; libsignal {latestVersion} {latestResult.OpsPerSec:F1} ops/s; ratio {latestResult.Ratio:F2}"));
        return new Row(workload.Name, result, latestResult, oldResult);
    }

    private sealed record Row(string Workload, HarnessResult Ours, NodeResult Latest, NodeResult? Old);

    /// <summary>A libsignal side: median ops/s, its batches, and the median of ours divided by it, round by round.</summary>
    private sealed record NodeResult(double OpsPerSec, double[] Batches, double Ratio, double[] Ratios);

    private static void PrintTable(List<Row> rows, Dictionary<string, (double MedianNs, long? Bytes)>? bdn, bool quick,
        HarnessOptions options, DateTimeOffset started, string latestVersion, string oldVersion)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"# bench/compare{(quick ? " --quick" : "")}, started {started:yyyy-MM-dd HH:mm} UTC, finished {DateTimeOffset.UtcNow:HH:mm} UTC"));
        Console.WriteLine(string.Create(inv, $"# machine: {Environment.ProcessorCount} cores, {CpuModel()}; .NET {Environment.Version}; {NodeVersion()}"));
        Console.WriteLine(string.Create(inv, $"# ops/s: median of {options.Batches} Stopwatch batches of ~{options.BatchMs} ms after {options.WarmupMs} ms warm-up, both sides"));
        Console.WriteLine("# batches alternate (ours, libsignal, ours, ...); ratio = median of the per-round ratios (ours / libsignal's next batch)");
        Console.WriteLine(quick
            ? "# ours B/op: GC.GetAllocatedBytesForCurrentThread over the timed batches (--quick)"
            : "# ours B/op: BenchmarkDotNet MemoryDiagnoser (in-process job); BDN ops/s = 1e9 / BDN median ns");
        Console.WriteLine();
        var header = $"| workload | ours ops/s | libsignal {latestVersion} ops/s | ratio | libsignal {oldVersion} ops/s | ratio vs {oldVersion} | ours B/op |";
        if (bdn is not null)
        {
            header += " BDN ops/s |";
        }
        Console.WriteLine(header);
        Console.WriteLine(bdn is null ? "|---|---:|---:|---:|---:|---:|---:|" : "|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var bytes = row.Ours.AllocatedBytesPerOp;
            string? bdnOps = null;
            if (bdn is not null && bdn.TryGetValue(row.Workload, out var b))
            {
                bytes = b.Bytes ?? double.NaN;
                bdnOps = (1e9 / b.MedianNs).ToString("F1", inv);
            }
            var line = string.Create(inv,
                $"| {row.Workload} | {row.Ours.OpsPerSec:F1} | {row.Latest.OpsPerSec:F1} | {row.Latest.Ratio:F2} | " +
                $"{(row.Old is { } o ? o.OpsPerSec.ToString("F1", inv) : "–")} | " +
                $"{(row.Old is { } o2 ? o2.Ratio.ToString("F2", inv) : "–")} | {bytes:F0} |");
            if (bdn is not null)
            {
                line += $" {bdnOps ?? "–"} |";
            }
            Console.WriteLine(line);
        }
        Console.WriteLine();
        Console.WriteLine("# spread of the timed batches, min–max ops/s (a wide spread means a noisy machine):");
        foreach (var row in rows)
        {
            var line = string.Create(inv, $"#   {row.Workload}: ours {Spread(row.Ours.Batches)}; libsignal {latestVersion} {Spread(row.Latest.Batches)}, per-round ratio {Spread(row.Latest.Ratios, "F2")}");
            if (row.Old is { } old)
            {
                line += string.Create(inv, $"; libsignal {oldVersion} {Spread(old.Batches)}");
            }
            Console.WriteLine(line);
        }
        Console.WriteLine();
        foreach (var name in RatioLines)
        {
            var row = rows.Single(r => r.Workload == name);
            Console.WriteLine(string.Create(inv, $"RATIO {name} {row.Latest.Ratio:F2}"));
        }
    }

    private static string Spread(double[] values, string format = "F1") =>
        $"{values.Min().ToString(format, CultureInfo.InvariantCulture)}–{values.Max().ToString(format, CultureInfo.InvariantCulture)}";

    private static Dictionary<string, (double MedianNs, long? Bytes)> RunBenchmarkDotNet()
    {
        var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(4)
            .WithIterationCount(12)
            .WithId("InProcess");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(new StreamLogger(stderr))
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkRunner.Run([typeof(SessionSetupBenchmarks), typeof(MessagingBenchmarks), typeof(FingerprintBenchmarks)], config);
        var byCase = new Dictionary<string, (double, long?)>();
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                var descriptor = report.BenchmarkCase.Descriptor;
                var key = $"{descriptor.Type.Name}.{descriptor.WorkloadMethod.Name}";
                if (report.ResultStatistics is { } stats)
                {
                    byCase[key] = (stats.Median, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
                }
            }
        }
        var result = new Dictionary<string, (double MedianNs, long? Bytes)>();
        foreach (var (workload, key) in BdnCase)
        {
            if (byCase.TryGetValue(key, out var value))
            {
                result[workload] = value;
            }
        }
        foreach (var (key, (ns, bytes)) in byCase)
        {
            Log(string.Create(CultureInfo.InvariantCulture, $"BDN {key}: median {ns / 1000:F1} us, {bytes} B/op"));
        }
        return result;
    }

    private static void Install(string packageDir)
    {
        var output = RunProcess("npm", ["ci", "--no-audit", "--no-fund", "--prefix", packageDir], captureStdout: true);
        Console.Error.Write(output);
    }

    private static string InstalledVersion(string packageDir)
    {
        var path = Path.Combine(packageDir, "node_modules", "@signalapp", "libsignal-client", "package.json");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("version").GetString()!;
    }

    private static string RunProcess(string file, string[] arguments, bool captureStdout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = captureStdout, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = captureStdout ? process.StandardOutput.ReadToEnd() : "";
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        }
        return output;
    }

    private static string FindBenchDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "bench");
                if (File.Exists(Path.Combine(candidate, "libsignal", "bench.mjs")))
                {
                    return candidate;
                }
            }
        }
        throw new InvalidOperationException("cannot find bench/libsignal/bench.mjs above the working or program directory");
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string NodeVersion()
    {
        try
        {
            return "Node " + RunProcess("node", ["--version"], captureStdout: true).Trim();
        }
        catch (InvalidOperationException)
        {
            return "Node ?";
        }
    }

    private static void Log(string message) => Console.Error.WriteLine($"[compare {DateTimeOffset.UtcNow:HH:mm:ss}] {message}");
}
