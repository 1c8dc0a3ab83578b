using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>
/// Scenario 11: the receiver's limits (LIBSIGNAL-FACTS §4.7). A receiving chain starts at index 0 and libsignal
/// refuses a counter when counter − index &gt; MAX_FORWARD_JUMPS (25,000): counter 25,000 of a fresh chain is the
/// last one accepted, 25,001 the first refused. Skipped keys are kept oldest-first and the oldest is dropped once
/// more than MAX_MESSAGE_KEYS (2,000) are held. The limits belong to the receiver: each pairing has the receiver
/// under test read messages from the other side.
/// <para>
/// libsignal→libsignal negotiates SPQR, whose own chain (spqr <c>chain.rs</c>, MAX_JUMP = 25,000) numbers every
/// message of an epoch from 1 across DH chains; after the settled opening the first message of a new DH chain is
/// one step further ahead there, so that pairing refuses a jump of 25,000 and accepts 24,999 (measured with
/// libsignal-client 0.90.0). Every pairing with the C# peer runs without SPQR ("V0", DESIGN.md §3), where the
/// plain Double Ratchet bound applies on both sides.
/// </para>
/// </summary>
public sealed class SkippedKeyLimitTests(PeerPool pool) : InteropTest(pool)
{
    private const int MaxForwardJumps = 25_000;
    private const int MaxMessageKeys = 2_000;

    /// <summary>(sender, receiver): libsignal receives with and without SPQR, the C# peer receives from libsignal.</summary>
    public static TheoryData<PeerKind, PeerKind> ReceiverUnderTest => new()
    {
        { PeerKind.Libsignal, PeerKind.Libsignal },
        { PeerKind.Dotnet, PeerKind.Libsignal },
        { PeerKind.Libsignal, PeerKind.Dotnet },
    };

    [Theory]
    [MemberData(nameof(ReceiverUnderTest))]
    public async Task A_jump_over_the_forward_limit_is_invalid_and_a_jump_at_the_limit_decrypts(PeerKind sender, PeerKind receiver)
    {
        var spqr = sender == PeerKind.Libsignal && receiver == PeerKind.Libsignal;
        var limit = spqr ? MaxForwardJumps - 1 : MaxForwardJumps;
        var (alice, bob) = await PartiesAsync(sender, receiver);
        await EstablishAsync(alice, bob);

        // Alice's next chain starts at counter 0; she sends counters 0 … limit + 1 and Bob sees only the last ones.
        var plaintexts = Enumerable.Range(0, limit + 2).Select(i => Plaintexts.Numbered("far", i)).ToArray();
        var messages = await alice.EncryptManyAsync(bob, plaintexts);

        await Expect.ErrorAsync(
            bob.TryDecryptAsync(alice, messages[limit + 1]), "InvalidMessage", $"counter {limit + 1} as the first message Bob sees of a new chain (a jump of {limit + 1})");
        await Expect.DecryptsAsync(bob, alice, messages[limit], plaintexts[limit], $"counter {limit} as the first message Bob sees of a new chain (a jump of exactly {limit})");
        await Expect.DecryptsAsync(bob, alice, messages[limit + 1], plaintexts[limit + 1], $"counter {limit + 1} right after counter {limit}");
        await Expect.DecryptsAsync(bob, alice, messages[limit - 1], plaintexts[limit - 1], $"counter {limit - 1}, the newest skipped key");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, messages[0]), "DuplicatedMessage", "counter 0, whose skipped key was dropped long ago");

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("that was a lot"), "reply after the jump", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("sorry"), "initiator after the jump", Ciphertext.Whisper);
    }

    [Theory]
    [MemberData(nameof(ReceiverUnderTest))]
    public async Task Only_the_newest_2000_skipped_keys_are_kept(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        await EstablishAsync(alice, bob);

        // Counters 0 … 2,001; reading 2,001 first skips 2,001 keys, one more than the 2,000 kept: 0 is dropped, 1 kept.
        var plaintexts = Enumerable.Range(0, MaxMessageKeys + 2).Select(i => Plaintexts.Numbered("skipped", i)).ToArray();
        var messages = await alice.EncryptManyAsync(bob, plaintexts);

        await Expect.DecryptsAsync(bob, alice, messages[MaxMessageKeys + 1], plaintexts[MaxMessageKeys + 1], "counter 2,001 delivered first");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, messages[0]), "DuplicatedMessage", "counter 0, the oldest skipped key, beyond the 2,000 kept");
        await Expect.DecryptsAsync(bob, alice, messages[1], plaintexts[1], "counter 1, the oldest of the 2,000 kept");
        await Expect.DecryptsAsync(bob, alice, messages[MaxMessageKeys], plaintexts[MaxMessageKeys], "counter 2,000, the newest skipped key");
        await Expect.DecryptsAsync(bob, alice, messages[1000], plaintexts[1000], "counter 1,000 in the middle");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, messages[1]), "DuplicatedMessage", "counter 1 a second time");

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("noted"), "reply after the skipped keys", Ciphertext.Whisper);
    }
}
