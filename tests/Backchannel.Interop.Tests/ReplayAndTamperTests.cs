using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenarios 6–7: replays are refused as duplicates, tampering as invalid, and neither changes the session.</summary>
public sealed class ReplayAndTamperTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Replayed_messages_are_duplicates_and_the_conversation_continues_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);

        var opening = await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("opening"), "PreKey message", Ciphertext.PreKey);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, opening), "DuplicatedMessage", "the PreKey message decrypted a second time");

        var reply = await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("reply"), "reply", Ciphertext.Whisper);
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, reply), "DuplicatedMessage", "the reply decrypted a second time");

        var next = await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("next"), "after the replays, initiator", Ciphertext.Whisper);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, next), "DuplicatedMessage", "a SignalMessage decrypted a second time");

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("still fine"), "after the replays, responder", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("yes"), "after the replays, initiator again", Ciphertext.Whisper);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Tampered_body_or_mac_is_invalid_and_leaves_the_session_unchanged_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);

        // The PreKey message first: a failed attempt must not consume the one-time prekey or create a session.
        var hello = Plaintexts.Text("hello, untouched");
        var opening = await alice.EncryptAsync(bob, hello);
        Assert.Equal(Ciphertext.PreKey, opening.Type);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, Tamper.FlipBodyByte(opening)), "InvalidMessage", "PreKey message with a flipped body byte");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, Tamper.FlipMacByte(opening)), "InvalidMessage", "PreKey message with a flipped MAC byte");
        await Expect.DecryptsAsync(bob, alice, opening, hello, "the untampered PreKey message after two tampered copies");

        var reply = Plaintexts.Text("reply, untouched");
        var answer = await bob.EncryptAsync(alice, reply);
        Assert.Equal(Ciphertext.Whisper, answer.Type);
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, Tamper.FlipBodyByte(answer)), "InvalidMessage", "SignalMessage with a flipped body byte (new chain)");
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, Tamper.FlipMacByte(answer)), "InvalidMessage", "SignalMessage with a flipped MAC byte (new chain)");
        await Expect.DecryptsAsync(alice, bob, answer, reply, "the untampered reply after two tampered copies");

        // Within an existing chain: the tampered copy of the second message must not advance the chain either.
        var plaintexts = new[] { Plaintexts.Text("first in chain"), Plaintexts.Text("second in chain") };
        var chain = await alice.EncryptManyAsync(bob, plaintexts);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, Tamper.FlipBodyByte(chain[1])), "InvalidMessage", "second message with a flipped body byte");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, Tamper.FlipMacByte(chain[1])), "InvalidMessage", "second message with a flipped MAC byte");
        await Expect.DecryptsAsync(bob, alice, chain[0], plaintexts[0], "first message of the chain after the tampered second");
        await Expect.DecryptsAsync(bob, alice, chain[1], plaintexts[1], "untampered second message");

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("all good"), "responder after tampering", Ciphertext.Whisper);
    }
}
