using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>
/// Session records keep previous states (LIBSIGNAL-FACTS §4.8): a message on an archived state still decrypts
/// and promotes that state; receiving chains are kept for the newest five DH ratchet steps only (§4.7).
/// </summary>
public sealed class ArchivedStateTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Messages_on_an_archived_session_state_still_decrypt_and_both_sides_converge_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        // Alice starts a second session while Bob still talks on the first: the first is archived on her side.
        await alice.StartSessionWithAsync(bob);
        var restart = Plaintexts.Text("new session, delivered late");
        var restartMessage = await alice.EncryptAsync(bob, restart);
        Assert.Equal(Ciphertext.PreKey, restartMessage.Type);

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("on the old session"), "Bob on the session Alice archived", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("back on the old one"), "Alice after the archived state was promoted", Ciphertext.Whisper);

        await Expect.DecryptsAsync(bob, alice, restartMessage, restart, "the late PreKey message of Alice's second session");
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("on the new session"), "Bob on the new session", Ciphertext.Whisper);
        for (var i = 0; i < 3; i++)
        {
            await Expect.RoundTripAsync(alice, bob, Plaintexts.Numbered("converged alice", i), $"Alice's message {i} after converging", Ciphertext.Whisper);
            await Expect.RoundTripAsync(bob, alice, Plaintexts.Numbered("converged bob", i), $"Bob's message {i} after converging", Ciphertext.Whisper);
        }
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Only_the_newest_five_receiving_chains_are_kept_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        const int maxReceiverChains = 5;
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        // Each round Alice opens a new sending chain (she has just read Bob's reply); one message of it reaches
        // Bob at once, one is held. After round 0 Bob starts maxReceiverChains more chains, so chain 0 falls out.
        var held = new List<(Ciphertext Message, byte[] Plaintext)>();
        for (var round = 0; round <= maxReceiverChains; round++)
        {
            var plaintexts = new[] { Plaintexts.Numbered($"chain {round}", 0), Plaintexts.Numbered($"chain {round}", 1) };
            var messages = await alice.EncryptManyAsync(bob, plaintexts);
            await Expect.DecryptsAsync(bob, alice, messages[1], plaintexts[1], $"chain {round}, second message");
            held.Add((messages[0], plaintexts[0]));
            await Expect.RoundTripAsync(bob, alice, Plaintexts.Numbered("reply", round), $"Bob's reply in round {round}", Ciphertext.Whisper);
        }

        await Expect.DecryptsAsync(bob, alice, held[1].Message, held[1].Plaintext, "the held message of chain 1, the oldest chain kept");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, held[0].Message), "InvalidMessage", "the held message of chain 0, whose chain was dropped");
        await Expect.DecryptsAsync(bob, alice, held[maxReceiverChains].Message, held[maxReceiverChains].Plaintext, "the held message of the newest chain");
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("still talking"), "after the dropped chain", Ciphertext.Whisper);
    }
}
