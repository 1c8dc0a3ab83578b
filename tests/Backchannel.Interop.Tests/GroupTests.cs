using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>
/// Sender keys (LIBSIGNAL-FACTS §4.10) between the C# peer, libsignal 0.90.0 and the newest libsignal: sender keys do
/// not involve SPQR, so every pairing works. The harness moves the SenderKeyDistributionMessage bytes itself (in an
/// application they travel inside a 1:1 session; the peers need none for sender keys), then the SenderKeyMessages.
/// </summary>
public sealed class GroupTests(PeerPool pool) : InteropTest(pool)
{
    /// <summary>Largest accepted gap between a sender-key chain's next iteration and a message's iteration.</summary>
    private const int MaxForwardJumps = 25_000;

    /// <summary>Skipped sender message keys kept per state, oldest dropped first.</summary>
    private const int MaxMessageKeys = 2_000;

    /// <summary>Version byte of SenderKeyDistributionMessage and SenderKeyMessage: (3 &lt;&lt; 4) | 3.</summary>
    private const byte SenderKeyVersionByte = 0x33;

    /// <summary>(sender, receiver) for the expensive limit checks: each receiver once from another implementation.</summary>
    public static TheoryData<PeerKind, PeerKind> ReceiverUnderTest => new()
    {
        { PeerKind.Dotnet, PeerKind.Libsignal },
        { PeerKind.Libsignal, PeerKind.Dotnet },
        { PeerKind.Dotnet, PeerKind.LibsignalLatest },
        { PeerKind.LibsignalLatest, PeerKind.Dotnet },
    };

    /// <summary>Every peer kind as the one receiver of several senders.</summary>
    public static TheoryData<PeerKind> Receivers => new() { PeerKind.Dotnet, PeerKind.Libsignal, PeerKind.LibsignalLatest };

    /// <summary>Three members of one group, each in a peer of the kind named.</summary>
    public static TheoryData<PeerKind, PeerKind, PeerKind> Trios => new()
    {
        { PeerKind.Dotnet, PeerKind.Libsignal, PeerKind.LibsignalLatest },
        { PeerKind.LibsignalLatest, PeerKind.Dotnet, PeerKind.Libsignal },
        { PeerKind.Dotnet, PeerKind.Dotnet, PeerKind.Dotnet },
    };

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task Messages_delivered_in_order_decrypt_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = Guid.NewGuid();
        var skdm = await alice.GroupDistributionAsync(distribution);
        Assert.True(skdm[0] == SenderKeyVersionByte, $"{alice.Peer.Label} made a distribution message starting with 0x{skdm[0]:x2}, expected 0x33.");
        await bob.GroupProcessAsync(alice, skdm);

        byte[][] plaintexts =
        [
            Plaintexts.Text("hello, group"),
            [],
            Plaintexts.Random(new Random(7), 1000),
            .. Enumerable.Range(0, 10).Select(i => Plaintexts.Numbered("in order", i)),
        ];
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts);
        for (var i = 0; i < messages.Length; i++)
        {
            Assert.True(messages[i][0] == SenderKeyVersionByte, $"{alice.Peer.Label} made a SenderKeyMessage starting with 0x{messages[i][0]:x2}, expected 0x33.");
            await GroupDecryptsAsync(bob, alice, messages[i], plaintexts[i], $"group message {i} delivered in order");
        }
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task Messages_delivered_in_reverse_and_shuffled_decrypt_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        const int burst = 30;
        const int seed = 2024;
        var random = new Random(seed);
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = await DistributeAsync(alice, bob);

        var reversed = Enumerable.Range(0, burst).Select(i => Plaintexts.Numbered("reversed", i)).ToArray();
        var first = await alice.GroupEncryptManyAsync(distribution, reversed);
        for (var i = burst - 1; i >= 0; i--)
        {
            await GroupDecryptsAsync(bob, alice, first[i], reversed[i], $"group message {i} delivered in reverse");
        }

        var shuffled = Enumerable.Range(0, burst).Select(i => Plaintexts.Numbered("shuffled", i)).ToArray();
        var second = await alice.GroupEncryptManyAsync(distribution, shuffled);
        foreach (var i in Enumerable.Range(0, burst).OrderBy(_ => random.Next()))
        {
            await GroupDecryptsAsync(bob, alice, second[i], shuffled[i], $"group message {i} delivered shuffled (seed {seed})");
        }

        var after = Plaintexts.Text("after the shuffle");
        await GroupDecryptsAsync(bob, alice, (await alice.GroupEncryptManyAsync(distribution, [after]))[0], after, "the next message");
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task A_message_decrypted_twice_is_a_duplicate_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = await DistributeAsync(alice, bob);
        var plaintexts = Enumerable.Range(0, 4).Select(i => Plaintexts.Numbered("twice", i)).ToArray();
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts);

        await GroupDecryptsAsync(bob, alice, messages[0], plaintexts[0], "message 0");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[0]), "DuplicatedMessage", "message 0 a second time (the chain's newest)");
        await GroupDecryptsAsync(bob, alice, messages[3], plaintexts[3], "message 3, skipping 1 and 2");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[3]), "DuplicatedMessage", "message 3 a second time");
        await GroupDecryptsAsync(bob, alice, messages[1], plaintexts[1], "message 1 from a skipped key");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[1]), "DuplicatedMessage", "message 1 a second time (its skipped key is used up)");
        await GroupDecryptsAsync(bob, alice, messages[2], plaintexts[2], "message 2 after the duplicates");

        var next = Plaintexts.Text("after the duplicates");
        await GroupDecryptsAsync(bob, alice, (await alice.GroupEncryptManyAsync(distribution, [next]))[0], next, "the next message");
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task Tampered_body_or_signature_is_an_invalid_signature_and_changes_nothing_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        // The signature covers everything before it, so libsignal checks it first: a flipped body byte and a
        // flipped signature byte are both InvalidSignature ("invalid signature detected" in 0.90.0 and 0.103.0),
        // before any key is derived or skipped.
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = await DistributeAsync(alice, bob);
        var plaintexts = Enumerable.Range(0, 2).Select(i => Plaintexts.Numbered("untouched", i)).ToArray();
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts);

        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, Tamper.FlipSenderKeyBodyByte(messages[1])), "InvalidSignature", "message 1 with a flipped body byte");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, Tamper.FlipSenderKeySignatureByte(messages[1])), "InvalidSignature", "message 1 with a flipped signature byte");
        await GroupDecryptsAsync(bob, alice, messages[0], plaintexts[0], "message 0 after the tampered copies of message 1 (no key was skipped)");
        await GroupDecryptsAsync(bob, alice, messages[1], plaintexts[1], "the untampered message 1");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, Tamper.FlipSenderKeyBodyByte(messages[1])), "InvalidSignature", "a tampered copy of a message already read");
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task Decrypt_before_the_distribution_message_is_no_session_and_works_after_it_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = Guid.NewGuid();
        var skdm = await alice.GroupDistributionAsync(distribution);
        var hello = Plaintexts.Text("before the distribution message arrived");
        var message = (await alice.GroupEncryptManyAsync(distribution, [hello]))[0];

        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, message), "NoSession", "a group message with no distribution message processed");
        await bob.GroupProcessAsync(alice, skdm);
        await GroupDecryptsAsync(bob, alice, message, hello, "the same message once the distribution message is processed");
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task A_second_distribution_id_is_a_separate_chain_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var first = await DistributeAsync(alice, bob);
        var second = Guid.NewGuid();
        var secondSkdm = await alice.GroupDistributionAsync(second);

        var early = Plaintexts.Text("second group, too early");
        var earlyMessage = (await alice.GroupEncryptManyAsync(second, [early]))[0];
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, earlyMessage), "NoSession", "a message of the second distribution id before its distribution message");
        await bob.GroupProcessAsync(alice, secondSkdm);
        await GroupDecryptsAsync(bob, alice, earlyMessage, early, "the second group's first message once its distribution message is processed");

        for (var i = 0; i < 3; i++)
        {
            var inFirst = Plaintexts.Numbered("first group", i);
            var inSecond = Plaintexts.Numbered("second group", i);
            var toFirst = (await alice.GroupEncryptManyAsync(first, [inFirst]))[0];
            var toSecond = (await alice.GroupEncryptManyAsync(second, [inSecond]))[0];
            await GroupDecryptsAsync(bob, alice, toSecond, inSecond, $"second group message {i}");
            await GroupDecryptsAsync(bob, alice, toFirst, inFirst, $"first group message {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task A_member_given_the_distribution_message_late_reads_only_later_messages_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var carol = await Party.CreateAsync(bob.Peer);
        var distribution = await DistributeAsync(alice, bob);
        var plaintexts = Enumerable.Range(0, 4).Select(i => Plaintexts.Numbered("before carol", i)).ToArray();
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts[..3]);

        // A distribution message made now carries the chain key and iteration of message 3.
        await carol.GroupProcessAsync(alice, await alice.GroupDistributionAsync(distribution));
        var fourth = (await alice.GroupEncryptManyAsync(distribution, [plaintexts[3]]))[0];

        await GroupDecryptsAsync(carol, alice, fourth, plaintexts[3], "the first message after carol's distribution message");
        await Expect.ErrorAsync(carol.TryGroupDecryptAsync(alice, messages[1]), "DuplicatedMessage", "a message sent before carol's distribution message");
        for (var i = 0; i < 3; i++)
        {
            await GroupDecryptsAsync(bob, alice, messages[i], plaintexts[i], $"message {i} at the member who had it from the start");
        }

        await GroupDecryptsAsync(bob, alice, fourth, plaintexts[3], "message 3 at the member who had it from the start");
    }

    [Theory]
    [MemberData(nameof(Receivers))]
    public async Task Several_senders_of_every_kind_into_one_receiver_all_decrypt(PeerKind receiverKind)
    {
        const int rounds = 4;
        const int seed = 99;
        var random = new Random(seed);
        var receiver = await Party.CreateAsync(await Pool.GetAsync(receiverKind, 1));
        var senders = new List<Party>();
        foreach (var kind in new[] { PeerKind.Dotnet, PeerKind.Libsignal, PeerKind.LibsignalLatest })
        {
            var peer = await Pool.GetAsync(kind, 0);
            senders.Add(await Party.CreateAsync(peer));
            senders.Add(await Party.CreateAsync(peer, device: 2));
        }

        // One group: every sender has its own chain under the same distribution id.
        var distribution = Guid.NewGuid();
        foreach (var sender in senders)
        {
            await receiver.GroupProcessAsync(sender, await sender.GroupDistributionAsync(distribution));
        }

        var held = new List<(Party Sender, byte[] Message, byte[] Plaintext, string Label)>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var sender in senders)
            {
                var plaintext = Plaintexts.Numbered($"{sender} round", round);
                held.Add((sender, (await sender.GroupEncryptManyAsync(distribution, [plaintext]))[0], plaintext, $"round {round} from {sender}"));
            }
        }

        foreach (var (sender, message, plaintext, label) in held.OrderBy(_ => random.Next()))
        {
            await GroupDecryptsAsync(receiver, sender, message, plaintext, $"{label} delivered shuffled (seed {seed})");
        }
    }

    [Theory]
    [MemberData(nameof(Trios))]
    public async Task Three_members_each_send_and_the_other_two_read(PeerKind first, PeerKind second, PeerKind third)
    {
        var members = new[]
        {
            await Party.CreateAsync(await Pool.GetAsync(first, 0)),
            await Party.CreateAsync(await Pool.GetAsync(second, 1)),
            await Party.CreateAsync(await Pool.GetAsync(third, third == first ? 1 : 0)),
        };
        var distribution = Guid.NewGuid();
        foreach (var sender in members)
        {
            var skdm = await sender.GroupDistributionAsync(distribution);
            foreach (var receiver in members.Where(m => m != sender))
            {
                await receiver.GroupProcessAsync(sender, skdm);
            }
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var sender in members)
            {
                var plaintext = Plaintexts.Numbered($"{sender} says", round);
                var message = (await sender.GroupEncryptManyAsync(distribution, [plaintext]))[0];
                foreach (var receiver in members.Where(m => m != sender))
                {
                    await GroupDecryptsAsync(receiver, sender, message, plaintext, $"round {round} from {sender} at {receiver}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ReceiverUnderTest))]
    public async Task A_jump_of_25000_decrypts_and_a_jump_of_25001_is_invalid(PeerKind sender, PeerKind receiver)
    {
        // libsignal's sender-key chain refuses iteration − next iteration > MAX_FORWARD_JUMPS (group_cipher.rs);
        // a fresh state's next iteration is 0, so iteration 25,000 is the last accepted as the first message
        // (measured with 0.90.0 and 0.103.0: "invalid SenderKey message: message from too far into the future").
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = await DistributeAsync(alice, bob);
        var plaintexts = Enumerable.Range(0, MaxForwardJumps + 2).Select(i => Plaintexts.Numbered("far", i)).ToArray();
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts);

        await Expect.ErrorAsync(
            bob.TryGroupDecryptAsync(alice, messages[MaxForwardJumps + 1]), "InvalidMessage", "iteration 25,001 as the first message (a jump of 25,001)");
        await GroupDecryptsAsync(bob, alice, messages[MaxForwardJumps], plaintexts[MaxForwardJumps], "iteration 25,000 as the first message (a jump of exactly 25,000)");
        await GroupDecryptsAsync(bob, alice, messages[MaxForwardJumps + 1], plaintexts[MaxForwardJumps + 1], "iteration 25,001 right after 25,000");
        await GroupDecryptsAsync(bob, alice, messages[MaxForwardJumps - 1], plaintexts[MaxForwardJumps - 1], "iteration 24,999, the newest skipped key");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[0]), "DuplicatedMessage", "iteration 0, whose skipped key was dropped long ago");
    }

    [Theory]
    [MemberData(nameof(Pairings.AllWithLatest), MemberType = typeof(Pairings))]
    public async Task Only_the_newest_2000_skipped_keys_are_kept_in_every_pairing(PeerKind sender, PeerKind receiver)
    {
        var (alice, bob) = await PartiesAsync(sender, receiver);
        var distribution = await DistributeAsync(alice, bob);

        // Iterations 0 … 2,001; reading 2,001 first skips 2,001 keys, one more than the 2,000 kept: 0 is dropped, 1 kept.
        var plaintexts = Enumerable.Range(0, MaxMessageKeys + 2).Select(i => Plaintexts.Numbered("skipped", i)).ToArray();
        var messages = await alice.GroupEncryptManyAsync(distribution, plaintexts);

        await GroupDecryptsAsync(bob, alice, messages[MaxMessageKeys + 1], plaintexts[MaxMessageKeys + 1], "iteration 2,001 delivered first");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[0]), "DuplicatedMessage", "iteration 0, the oldest skipped key, beyond the 2,000 kept");
        await GroupDecryptsAsync(bob, alice, messages[1], plaintexts[1], "iteration 1, the oldest of the 2,000 kept");
        await GroupDecryptsAsync(bob, alice, messages[MaxMessageKeys], plaintexts[MaxMessageKeys], "iteration 2,000, the newest skipped key");
        await GroupDecryptsAsync(bob, alice, messages[1000], plaintexts[1000], "iteration 1,000 in the middle");
        await Expect.ErrorAsync(bob.TryGroupDecryptAsync(alice, messages[1]), "DuplicatedMessage", "iteration 1 a second time");
    }

    /// <summary>A fresh distribution id; <paramref name="sender"/>'s distribution message is processed by every receiver.</summary>
    private static async Task<Guid> DistributeAsync(Party sender, params Party[] receivers)
    {
        var distribution = Guid.NewGuid();
        var skdm = await sender.GroupDistributionAsync(distribution);
        foreach (var receiver in receivers)
        {
            await receiver.GroupProcessAsync(sender, skdm);
        }

        return distribution;
    }

    private static async Task GroupDecryptsAsync(Party receiver, Party sender, byte[] message, byte[] plaintext, string what)
    {
        var answer = await receiver.TryGroupDecryptAsync(sender, message);
        if (!answer.Ok)
        {
            Assert.Fail($"{what}: {answer.Peer} failed to decrypt a {message.Length}-byte SenderKeyMessage with {answer.Error}: {answer.Message}");
        }

        var decrypted = answer.Bytes("plaintext");
        if (!decrypted.AsSpan().SequenceEqual(plaintext))
        {
            Assert.Fail($"{what}: {answer.Peer} decrypted {decrypted.Length} bytes that differ from the {plaintext.Length} bytes sent.");
        }
    }
}
