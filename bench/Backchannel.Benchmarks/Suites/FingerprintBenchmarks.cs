using BenchmarkDotNet.Attributes;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks.Suites;

/// <summary>Safety numbers: <see cref="Fingerprint.Create"/> with 5200 iterations.</summary>
[MemoryDiagnoser]
public class FingerprintBenchmarks
{
    private FingerprintWorkload _workload = null!;

    [GlobalSetup]
    public void CreateIdentities() => _workload = new FingerprintWorkload();

    [Benchmark]
    public void SafetyNumber() => _workload.Run();
}
