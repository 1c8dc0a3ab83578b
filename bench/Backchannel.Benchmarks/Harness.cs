using System.Diagnostics;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks;

/// <summary>
/// The Stopwatch harness: the same method as bench/libsignal/bench.mjs, so the two sides' ops/s compare. Per
/// workload: a warm-up of doubling batches for <see cref="HarnessOptions.WarmupMs"/>, a batch size chosen so one
/// batch takes about <see cref="HarnessOptions.BatchMs"/>, then <see cref="HarnessOptions.Batches"/> timed
/// batches, each prepared untimed. Reports the median batch's ops/s, and the bytes this thread allocated per
/// operation over the timed batches (<see cref="GC.GetAllocatedBytesForCurrentThread"/>; preparation excluded).
/// </summary>
internal static class Harness
{
    public static IReadOnlyList<Func<Workload>> All { get; } =
    [
        () => new SetupWorkload(),
        () => new OneWayWorkload(),
        () => new PingPongWorkload(),
        () => new GroupWorkload(),
        () => new SealedWorkload(),
        () => new FingerprintWorkload(),
    ];

    public static HarnessResult Measure(Workload workload, HarnessOptions options)
    {
        var size = WarmUp(workload, options);
        var rates = new double[options.Batches];
        long allocated = 0;
        for (var b = 0; b < options.Batches; b++)
        {
            var (rate, bytes) = TimedBatch(workload, size);
            rates[b] = rate;
            allocated += bytes;
        }
        return new HarnessResult(workload.Name, Median(rates), size, rates, (double)allocated / ((long)size * options.Batches));
    }

    /// <summary>Warms <paramref name="workload"/> up with doubling batches; returns the size of one timed batch.</summary>
    public static int WarmUp(Workload workload, HarnessOptions options)
    {
        var n = 1;
        var spent = 0.0;
        var perOp = double.PositiveInfinity;
        while (spent < options.WarmupMs)
        {
            var (ms, _) = TimeBatch(workload, n);
            spent += ms;
            perOp = ms / n;
            if (ms < options.WarmupMs / 4)
            {
                n *= 2;
            }
        }
        return Math.Max(1, (int)Math.Round(options.BatchMs / perOp));
    }

    /// <summary>One timed batch of <paramref name="size"/> operations: its ops/s and the bytes this thread allocated.</summary>
    public static (double OpsPerSec, long Bytes) TimedBatch(Workload workload, int size)
    {
        var (ms, bytes) = TimeBatch(workload, size);
        return (size * 1000.0 / ms, bytes);
    }

    private static (double Ms, long Bytes) TimeBatch(Workload workload, int n)
    {
        workload.Prepare(n);
        var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            workload.Run();
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
        return (elapsed.TotalMilliseconds, bytes);
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
