using BenchmarkDotNet.Attributes;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks.Suites;

/// <summary>
/// The record load and store that every 1:1 message pays on each side (BENCHMARKS.md, "Allocations of a 1:1
/// message"): the sender's record of an established one-way session, deserialized and serialized. Load keeps
/// the record (nothing goes back to the pool, so every load builds new state objects); LoadAndDispose is what
/// SessionCipher does, the state returned to this thread's pool and reused by the next load.
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
    public bool LoadAndDispose()
    {
        using var record = SessionRecord.Deserialize(_bytes);
        return record.HasCurrentState;
    }

    [Benchmark]
    public byte[] Store() => _record.Serialize();
}
