using BenchmarkDotNet.Attributes;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks.Suites;

/// <summary>
/// The record load and store that every 1:1 message pays on each side (BENCHMARKS.md, "Allocations of a 1:1
/// message"): the sender's record of an established one-way session, deserialized and serialized.
/// </summary>
[MemoryDiagnoser]
public class SessionRecordBenchmarks
{
    private byte[] _bytes = null!;
    private SessionRecord _record = null!;

    [GlobalSetup]
    public void CreateRecord()
    {
        var (alice, bob) = Party.EstablishedPair();
        _record = alice.Store.LoadSession(bob.Address)!;
        _bytes = _record.Serialize();
    }

    [Benchmark]
    public SessionRecord Load() => SessionRecord.Deserialize(_bytes);

    [Benchmark]
    public byte[] Store() => _record.Serialize();
}
