namespace Backchannel.Benchmarks;

/// <summary>One workload's figures from the Stopwatch harness.</summary>
internal sealed record HarnessResult(string Workload, double OpsPerSec, int BatchOps, double[] Batches, double AllocatedBytesPerOp);
