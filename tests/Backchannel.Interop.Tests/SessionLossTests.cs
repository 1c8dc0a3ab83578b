using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 9: a side that lost its session cannot read, fetches a fresh bundle, starts again, and messages flow.</summary>
public sealed class SessionLossTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Responder_that_lost_its_session_starts_again_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        await bob.DeleteSessionAsync(alice);
        Assert.False(await bob.HasSessionAsync(alice), "the responder has no session after delete_session");
        await RecoverAsync(lost: bob, other: alice);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Initiator_that_lost_its_session_starts_again_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);

        await alice.DeleteSessionAsync(bob);
        Assert.False(await alice.HasSessionAsync(bob), "the initiator has no session after delete_session");
        await RecoverAsync(lost: alice, other: bob);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Encrypt_without_a_session_is_no_session_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await Expect.ErrorAsync(alice.TryEncryptAsync(bob, Plaintexts.Text("too early")), "NoSession", "encrypt before any session");
        await EstablishAsync(alice, bob);
        await bob.DeleteSessionAsync(alice);
        await Expect.ErrorAsync(bob.TryEncryptAsync(alice, Plaintexts.Text("lost")), "NoSession", "encrypt after delete_session");
    }

    private static async Task RecoverAsync(Party lost, Party other)
    {
        var unread = await other.EncryptAsync(lost, Plaintexts.Text("are you there?"));
        Assert.Equal(Ciphertext.Whisper, unread.Type);
        await Expect.ErrorAsync(lost.TryDecryptAsync(other, unread), "NoSession", "a SignalMessage to the side that lost its session");

        await lost.StartSessionWithAsync(other);
        await Expect.RoundTripAsync(lost, other, Plaintexts.Text("starting again"), "the restart's PreKey message", Ciphertext.PreKey);
        await Expect.RoundTripAsync(other, lost, Plaintexts.Text("welcome back"), "the reply on the new session", Ciphertext.Whisper);
        for (var i = 0; i < 3; i++)
        {
            await Expect.RoundTripAsync(lost, other, Plaintexts.Numbered("flowing", i), $"message {i} from the side that restarted", Ciphertext.Whisper);
            await Expect.RoundTripAsync(other, lost, Plaintexts.Numbered("flowing back", i), $"message {i} to the side that restarted", Ciphertext.Whisper);
        }

        Assert.True(await lost.HasSessionAsync(other), "the side that restarted has a session");
        Assert.True(await other.HasSessionAsync(lost), "the other side has a session");
    }
}
