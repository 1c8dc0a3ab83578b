namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// Steady-state 1:1 messaging in one direction: Alice encrypts 1 KiB, Bob decrypts it. No DH ratchet step; both
/// records are loaded (deserialized) and stored (serialized) by each side for each message.
/// </summary>
internal sealed class OneWayWorkload : Workload
{
    private readonly SessionCipher _toBob;
    private readonly SessionCipher _toAlice;

    // Bob's plaintext buffer for RunIntoBuffer: at least as long as any message of this workload.
    private readonly byte[] _buffer = new byte[4096];

    public OneWayWorkload()
    {
        var (alice, bob) = Party.EstablishedPair();
        _toBob = alice.CipherFor(bob.Address);
        _toAlice = bob.CipherFor(alice.Address);
    }

    public override string Name => "oneway";

    public override void Run()
    {
        var message = Encrypt();
        Check(_toAlice.Decrypt(message.Type, message.Serialize()));
    }

    /// <summary>The same, with Bob decrypting into his own buffer instead of receiving a new plaintext array.</summary>
    public void RunIntoBuffer()
    {
        var message = Encrypt();
        var length = _toAlice.Decrypt(message.Type, message.Serialize(), _buffer);
        if (length != Plaintext.Length)
        {
            throw new InvalidOperationException("round trip returned the wrong plaintext");
        }
    }

    /// <summary>The sender's half alone.</summary>
    public CiphertextMessage Encrypt() => _toBob.Encrypt(Plaintext);
}
