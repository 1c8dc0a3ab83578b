namespace Backchannel.Benchmarks.Workloads;

/// <summary>A safety number as apps compute it: 5200 iterations, version 2, both the displayable and scannable forms.</summary>
internal sealed class FingerprintWorkload : Workload
{
    private const int Iterations = 5200;
    private const int Version = 2;

    private readonly Party _alice = new();
    private readonly Party _bob = new();
    private readonly byte[] _aliceId;
    private readonly byte[] _bobId;

    public FingerprintWorkload()
    {
        _aliceId = System.Text.Encoding.UTF8.GetBytes(_alice.Name);
        _bobId = System.Text.Encoding.UTF8.GetBytes(_bob.Name);
    }

    public override string Name => "fingerprint";

    public override void Run()
    {
        var fingerprint = Fingerprint.Create(Iterations, Version, _aliceId, _alice.Identity.PublicKey, _bobId, _bob.Identity.PublicKey);
        if (fingerprint.Displayable.Length != 60)
        {
            throw new InvalidOperationException("bad safety number");
        }
    }
}
