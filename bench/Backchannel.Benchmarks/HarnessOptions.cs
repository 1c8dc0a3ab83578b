namespace Backchannel.Benchmarks;

/// <summary>How long the Stopwatch harness warms up and measures; the same numbers go to bench.mjs.</summary>
internal sealed record HarnessOptions(int WarmupMs, int BatchMs, int Batches)
{
    /// <summary>bench/compare --quick: the whole comparison in well under three minutes.</summary>
    public static HarnessOptions Quick { get; } = new(1000, 400, 11);

    /// <summary>bench/compare: longer warm-up, more and longer batches.</summary>
    public static HarnessOptions Full { get; } = new(3000, 1000, 15);
}
