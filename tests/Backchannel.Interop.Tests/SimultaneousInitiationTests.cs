using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 8: both sides start a session at once and converge after a round trip (LIBSIGNAL-FACTS §4.8).</summary>
public sealed class SimultaneousInitiationTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Simultaneous_initiation_converges_after_a_round_trip_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var aliceBundle = await alice.BundleAsync();
        var bobBundle = await bob.BundleAsync();
        await alice.ProcessBundleAsync(bob, bobBundle);
        await bob.ProcessBundleAsync(alice, aliceBundle);

        var fromAlice = Plaintexts.Text("alice starts");
        var fromBob = Plaintexts.Text("bob starts");
        var aliceOpening = await alice.EncryptAsync(bob, fromAlice);
        var bobOpening = await bob.EncryptAsync(alice, fromBob);
        Assert.Equal(Ciphertext.PreKey, aliceOpening.Type);
        Assert.Equal(Ciphertext.PreKey, bobOpening.Type);

        await Expect.DecryptsAsync(bob, alice, aliceOpening, fromAlice, "Alice's crossing PreKey message");
        await Expect.DecryptsAsync(alice, bob, bobOpening, fromBob, "Bob's crossing PreKey message");

        for (var i = 0; i < 3; i++)
        {
            await Expect.RoundTripAsync(alice, bob, Plaintexts.Numbered("alice after the crossing", i), $"Alice's message {i} after the crossing");
            await Expect.RoundTripAsync(bob, alice, Plaintexts.Numbered("bob after the crossing", i), $"Bob's message {i} after the crossing");
        }

        // Converged: a burst each way, read out of order, and neither side falls back to PreKey messages.
        var alicePlain = Enumerable.Range(0, 3).Select(i => Plaintexts.Numbered("alice burst", i)).ToArray();
        var bobPlain = Enumerable.Range(0, 3).Select(i => Plaintexts.Numbered("bob burst", i)).ToArray();
        var aliceBurst = await alice.EncryptManyAsync(bob, alicePlain);
        var bobBurst = await bob.EncryptManyAsync(alice, bobPlain);
        Assert.All(aliceBurst.Concat(bobBurst), m => Assert.Equal(Ciphertext.Whisper, m.Type));
        for (var i = 2; i >= 0; i--)
        {
            await Expect.DecryptsAsync(bob, alice, aliceBurst[i], alicePlain[i], $"Alice's converged message {i}");
            await Expect.DecryptsAsync(alice, bob, bobBurst[i], bobPlain[i], $"Bob's converged message {i}");
        }

        Assert.True(await alice.HasSessionAsync(bob), "Alice has a session after converging");
        Assert.True(await bob.HasSessionAsync(alice), "Bob has a session after converging");
    }
}
