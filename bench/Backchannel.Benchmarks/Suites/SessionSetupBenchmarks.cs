using BenchmarkDotNet.Attributes;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks.Suites;

/// <summary>
/// Session setup with Kyber in each role and in both (<see cref="SetupWorkload"/>). Every invocation consumes a
/// bundle or a PreKeySignalMessage made by the iteration setup, hence the fixed invocation count.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Batch)]
public class SessionSetupBenchmarks
{
    private const int Batch = 16;

    private SetupWorkload _workload = null!;

    [GlobalSetup]
    public void CreateParties() => _workload = new SetupWorkload();

    [IterationSetup(Targets = [nameof(Initiator), nameof(BothRoles)])]
    public void MakeBundles() => _workload.Prepare(Batch);

    [IterationSetup(Target = nameof(Responder))]
    public void MakePreKeyMessages()
    {
        _workload.Prepare(Batch);
        for (var i = 0; i < Batch; i++)
        {
            _workload.RunInitiator();
        }
    }

    /// <summary>Process a bundle and encrypt the 1 KiB first message.</summary>
    [Benchmark]
    public void Initiator() => _workload.RunInitiator();

    /// <summary>Decrypt the first message as the PQXDH responder.</summary>
    [Benchmark]
    public void Responder() => _workload.RunResponder();

    /// <summary>Both roles: the "setup" workload of bench/compare.</summary>
    [Benchmark]
    public void BothRoles() => _workload.Run();
}
