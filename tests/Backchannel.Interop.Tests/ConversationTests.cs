using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 2: a long conversation with many ratchet steps and plaintexts of every size.</summary>
public sealed class ConversationTests(PeerPool pool) : InteropTest(pool)
{
    private const int Messages = 200;
    private const int MaxPlaintext = 2000;
    private const int MaxRun = 6;

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Long_ping_pong_with_random_sizes_and_runs_decrypts_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        const int seed = 20261127;
        var random = new Random(seed);
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);

        var sent = 0;
        var aliceSends = true;
        while (sent < Messages)
        {
            var (sender, receiver) = aliceSends ? (alice, bob) : (bob, alice);
            var run = Math.Min(random.Next(1, MaxRun + 1), Messages - sent);
            var plaintexts = Enumerable.Range(0, run)
                .Select(_ => Plaintexts.Random(random, random.Next(0, MaxPlaintext + 1)))
                .ToArray();
            var messages = await sender.EncryptManyAsync(receiver, plaintexts);
            for (var i = 0; i < run; i++)
            {
                await Expect.DecryptsAsync(receiver, sender, messages[i], plaintexts[i], $"message {sent + i} (seed {seed}, {plaintexts[i].Length} bytes, {messages[i]})");
            }

            sent += run;
            aliceSends = !aliceSends;
        }
    }
}
