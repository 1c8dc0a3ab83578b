using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>
/// 1:1 sessions and the newest libsignal (LIBSIGNAL-FACTS §1): it runs the shared peer logic with the local address its
/// API wants, talks to itself, and refuses a peer without SPQR ("post-quantum ratchet error: Minimum version").
/// </summary>
public sealed class NewestLibsignalTests(PeerPool pool) : InteropTest(pool)
{
    [Fact]
    public async Task The_newest_libsignal_holds_a_conversation_with_itself()
    {
        var (alice, bob) = await PartiesAsync(PeerKind.LibsignalLatest, PeerKind.LibsignalLatest);
        await EstablishAsync(alice, bob);
        for (var i = 0; i < 3; i++)
        {
            await Expect.RoundTripAsync(alice, bob, Plaintexts.Numbered("from alice", i), $"message {i} from alice", Ciphertext.Whisper);
            await Expect.RoundTripAsync(bob, alice, Plaintexts.Numbered("from bob", i), $"message {i} from bob", Ciphertext.Whisper);
        }
    }

    [Theory]
    [InlineData(PeerKind.Dotnet, PeerKind.LibsignalLatest)]
    [InlineData(PeerKind.LibsignalLatest, PeerKind.Dotnet)]
    public async Task A_first_message_between_the_newest_libsignal_and_a_peer_without_spqr_is_refused(PeerKind initiator, PeerKind responder)
    {
        // Update this test when the C# peer speaks SPQR (DESIGN.md §3): then the session must work.
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);
        var opening = await alice.EncryptAsync(bob, Plaintexts.Text("hello without SPQR"));
        Assert.Equal(Ciphertext.PreKey, opening.Type);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, opening), "InvalidMessage", "a PreKey message across the SPQR divide");
    }
}
