namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// Session setup in both roles, with Kyber. The initiator processes a bundle (one-time EC and Kyber prekeys) and
/// encrypts a 1 KiB first message; the responder decrypts that PreKeySignalMessage (PQXDH as Bob, Kyber
/// decapsulation, prekey removal). One operation is both roles. Each operation uses fresh addresses on both sides,
/// so both session records start empty, and bundles are made in <see cref="Prepare"/>, untimed.
/// </summary>
internal sealed class SetupWorkload : Workload
{
    private readonly Party _alice = new();
    private readonly Party _bob = new();
    private readonly Stack<Pending> _bundles = new();
    private readonly Queue<Sent> _sent = new();
    private readonly List<ProtocolAddress> _used = [];

    public override string Name => "setup";

    public override void Prepare(int count)
    {
        // Forget the previous batch's sessions so the stores stay small; addresses are never reused.
        foreach (var address in _used)
        {
            _alice.Store.DeleteSession(address);
            _bob.Store.DeleteSession(address);
        }
        _used.Clear();
        _bundles.Clear();
        _sent.Clear();
        for (var i = 0; i < count; i++)
        {
            var aliceAddress = new ProtocolAddress(Guid.NewGuid().ToString(), 1);
            var bobAddress = new ProtocolAddress(Guid.NewGuid().ToString(), 1);
            _used.Add(aliceAddress);
            _used.Add(bobAddress);
            _bundles.Push(new Pending(aliceAddress, bobAddress, _bob.NewBundle()));
        }
    }

    public override void Run()
    {
        RunInitiator();
        RunResponder();
    }

    /// <summary>The initiator's half: process the bundle, encrypt the first message.</summary>
    public void RunInitiator()
    {
        var (aliceAddress, bobAddress, bundle) = _bundles.Pop();
        SessionBuilder.ProcessPreKeyBundle(_alice.Store, bobAddress, bundle, TimeProvider.System);
        var message = _alice.CipherFor(bobAddress).Encrypt(Plaintext);
        _sent.Enqueue(new Sent(aliceAddress, message.Type, message.Serialize()));
    }

    /// <summary>The responder's half: decrypt the PreKeySignalMessage.</summary>
    public void RunResponder()
    {
        var (aliceAddress, type, bytes) = _sent.Dequeue();
        Check(_bob.CipherFor(aliceAddress).Decrypt(type, bytes));
    }

    private sealed record Pending(ProtocolAddress Alice, ProtocolAddress Bob, PreKeyBundle Bundle);

    private sealed record Sent(ProtocolAddress Alice, int Type, byte[] Bytes);
}
