using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenarios 3–5: delivery out of order within a chain, across ratchet steps, and before any reply.</summary>
public sealed class OutOfOrderTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Burst_delivered_in_reverse_decrypts_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        const int burst = 50;
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        var plaintexts = Enumerable.Range(0, burst).Select(i => Plaintexts.Numbered("burst", i)).ToArray();
        var messages = await alice.EncryptManyAsync(bob, plaintexts);
        for (var i = burst - 1; i >= 0; i--)
        {
            await Expect.DecryptsAsync(bob, alice, messages[i], plaintexts[i], $"burst message {i} delivered in reverse");
        }

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("got them all"), "reply after the burst", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("good"), "initiator after the burst", Ciphertext.Whisper);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Messages_from_several_ratchet_chains_delivered_shuffled_all_decrypt_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        // Each round: both sides start a new sending chain; one message of it is delivered (so the other side
        // ratchets), the rest are held back. Four rounds stay within libsignal's five kept receiving chains.
        const int rounds = 4;
        const int perChain = 4;
        const int seed = 4711;
        var random = new Random(seed);
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        var heldForBob = new List<(Ciphertext Message, byte[] Plaintext, string Label)>();
        var heldForAlice = new List<(Ciphertext Message, byte[] Plaintext, string Label)>();
        for (var round = 0; round < rounds; round++)
        {
            await SendChainAsync(alice, bob, $"alice chain {round}", heldForBob);
            await SendChainAsync(bob, alice, $"bob chain {round}", heldForAlice);
        }

        foreach (var (message, plaintext, label) in heldForBob.OrderBy(_ => random.Next()))
        {
            await Expect.DecryptsAsync(bob, alice, message, plaintext, $"{label} delivered shuffled (seed {seed})");
        }

        foreach (var (message, plaintext, label) in heldForAlice.OrderBy(_ => random.Next()))
        {
            await Expect.DecryptsAsync(alice, bob, message, plaintext, $"{label} delivered shuffled (seed {seed})");
        }

        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("still here"), "after the shuffle, initiator");
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("me too"), "after the shuffle, responder");

        async Task SendChainAsync(Party sender, Party receiver, string label, List<(Ciphertext, byte[], string)> held)
        {
            var plaintexts = Enumerable.Range(0, perChain).Select(i => Plaintexts.Numbered(label, i)).ToArray();
            var messages = await sender.EncryptManyAsync(receiver, plaintexts);
            var delivered = random.Next(perChain);
            await Expect.DecryptsAsync(receiver, sender, messages[delivered], plaintexts[delivered], $"{label} message {delivered} (delivered at once)");
            for (var i = 0; i < perChain; i++)
            {
                if (i != delivered)
                {
                    held.Add((messages[i], plaintexts[i], $"{label} message {i}"));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Several_prekey_messages_before_any_reply_delivered_shuffled_make_one_session_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        const int count = 6;
        const int seed = 1234;
        var random = new Random(seed);
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);

        var plaintexts = Enumerable.Range(0, count).Select(i => Plaintexts.Numbered("before any reply", i)).ToArray();
        var messages = await alice.EncryptManyAsync(bob, plaintexts);
        Assert.All(messages, m => Assert.Equal(Ciphertext.PreKey, m.Type));

        foreach (var i in Enumerable.Range(0, count).OrderBy(_ => random.Next()))
        {
            await Expect.DecryptsAsync(bob, alice, messages[i], plaintexts[i], $"PreKey message {i} delivered shuffled (seed {seed})");
        }

        // One session: Bob's reply is readable by Alice, after which Alice no longer sends PreKey messages,
        // and Bob reads those too.
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("one reply"), "reply to all of them", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("settled"), "initiator after the reply", Ciphertext.Whisper);
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("settled too"), "responder again", Ciphertext.Whisper);
    }
}
