using BenchmarkDotNet.Attributes;
using Backchannel.Benchmarks.Workloads;

namespace Backchannel.Benchmarks.Suites;

/// <summary>
/// Steady-state messaging with 1 KiB plaintexts: 1:1 one way, 1:1 ping-pong, sender keys and sealed sender, each
/// operation an encrypt plus a decrypt, with records serialized into the in-memory stores after every message.
/// The encrypt-only cases split the allocations between the two ends; OneWayIntoBuffer is OneWay with the
/// receiver decrypting into its own buffer (the span overload of <see cref="SessionCipher.Decrypt(int, ReadOnlySpan{byte}, Span{byte})"/>).
/// </summary>
[MemoryDiagnoser]
public class MessagingBenchmarks
{
    private OneWayWorkload _oneWay = null!;
    private PingPongWorkload _pingPong = null!;
    private GroupWorkload _group = null!;
    private SealedWorkload _sealed = null!;

    [GlobalSetup]
    public void CreateSessions()
    {
        _oneWay = new OneWayWorkload();
        _pingPong = new PingPongWorkload();
        _group = new GroupWorkload();
        _sealed = new SealedWorkload();
    }

    [Benchmark]
    public void OneWay() => _oneWay.Run();

    [Benchmark]
    public void OneWayIntoBuffer() => _oneWay.RunIntoBuffer();

    [Benchmark]
    public CiphertextMessage OneWayEncrypt() => _oneWay.Encrypt();

    [Benchmark]
    public void PingPong() => _pingPong.Run();

    [Benchmark]
    public void Group() => _group.Run();

    [Benchmark]
    public byte[] GroupEncrypt() => _group.Encrypt();

    [Benchmark]
    public void Sealed() => _sealed.Run();
}
