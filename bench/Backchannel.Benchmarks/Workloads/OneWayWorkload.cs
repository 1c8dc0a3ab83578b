namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// Steady-state 1:1 messaging in one direction: Alice encrypts 1 KiB, Bob decrypts it. No DH ratchet step; both
/// records are loaded (deserialized) and stored (serialized) by each side for each message.
/// </summary>
internal sealed class OneWayWorkload : Workload
{
    private readonly SessionCipher _toBob;
    private readonly SessionCipher _toAlice;

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

    /// <summary>The sender's half alone.</summary>
    public CiphertextMessage Encrypt() => _toBob.Encrypt(Plaintext);
}
