namespace Backchannel.Interop.Tests.Harness;

/// <summary>Base of the scenario classes: the shared peers and the common opening moves.</summary>
[Collection(PeerCollection.Name)]
public abstract class InteropTest(PeerPool pool)
{
    protected PeerPool Pool { get; } = pool;

    /// <summary>A fresh initiator party in the initiator's peer and a fresh responder party in the responder's peer.</summary>
    protected async Task<(Party Alice, Party Bob)> PartiesAsync(PeerKind initiator, PeerKind responder)
    {
        var (first, second) = await Pool.PairAsync(initiator, responder);
        var alice = await Party.CreateAsync(first);
        var bob = await Party.CreateAsync(second);
        return (alice, bob);
    }

    /// <summary>Alice starts from Bob's bundle, sends a PreKey message, Bob answers, Alice reads it: a settled session.</summary>
    protected static async Task EstablishAsync(Party alice, Party bob)
    {
        await alice.StartSessionWithAsync(bob);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("hello bob"), "opening PreKey message", Ciphertext.PreKey);
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("hello alice"), "first reply", Ciphertext.Whisper);
    }
}
