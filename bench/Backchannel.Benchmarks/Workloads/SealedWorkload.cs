namespace Backchannel.Benchmarks.Workloads;

/// <summary>
/// Sealed sender v1 around a 1:1 message: Alice encrypts 1 KiB with the session and seals it; Bob opens it,
/// validates the sender certificate against the trust root and decrypts the inner message.
/// </summary>
internal sealed class SealedWorkload : Workload
{
    private readonly Party _alice;
    private readonly Party _bob;
    private readonly SenderCertificate _certificate;
    private readonly ECPublicKey _trustRoot;

    public SealedWorkload()
    {
        (_alice, _bob) = Party.EstablishedPair();
        using var trustRoot = ECKeyPair.Generate();
        using var server = ECKeyPair.Generate();
        var serverCertificate = ServerCertificate.Create(1, server.PublicKey, trustRoot.PrivateKey);
        var expires = (ulong)TimeProvider.System.GetUtcNow().AddDays(1).ToUnixTimeMilliseconds();
        _certificate = SenderCertificate.Create(_alice.Name, null, 1, _alice.Identity.PublicKey, expires, serverCertificate, server.PrivateKey);
        _trustRoot = trustRoot.PublicKey;
    }

    public override string Name => "sealed";

    public override void Run()
    {
        var sealedMessage = SealedSessionCipher.Encrypt(_alice.Store, _bob.Address, _certificate, Plaintext, TimeProvider.System);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var result = SealedSessionCipher.Decrypt(_bob.Store, null, _trustRoot, now, sealedMessage, TimeProvider.System);
        Check(result.Plaintext);
    }
}
