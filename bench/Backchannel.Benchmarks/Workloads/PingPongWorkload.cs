namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// 1:1 messaging with the direction alternating on every message, so each message makes the receiver take a DH
/// ratchet step (and the next sender start a new sending chain). One operation is one 1 KiB message.
/// </summary>
internal sealed class PingPongWorkload : Workload
{
    private readonly SessionCipher _alice;
    private readonly SessionCipher _bob;
    private bool _aliceTurn = true;

    public PingPongWorkload()
    {
        var (alice, bob) = Party.EstablishedPair();
        _alice = alice.CipherFor(bob.Address);
        _bob = bob.CipherFor(alice.Address);
    }

    public override string Name => "pingpong";

    public override void Run()
    {
        var (sender, receiver) = _aliceTurn ? (_alice, _bob) : (_bob, _alice);
        _aliceTurn = !_aliceTurn;
        var message = sender.Encrypt(Plaintext);
        Check(receiver.Decrypt(message.Type, message.Serialize()));
    }
}
