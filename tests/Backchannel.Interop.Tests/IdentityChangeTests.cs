using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 10: a reinstalled peer's new identity is refused until it is trusted (DESIGN.md §4.1 Trust).</summary>
public sealed class IdentityChangeTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Changed_identity_is_untrusted_until_trusted_then_both_directions_work_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);
        var oldKey = bob.IdentityKey;

        await bob.ResetIdentityAsync();
        Assert.False(oldKey.AsSpan().SequenceEqual(bob.IdentityKey), "reset_identity returned the same identity key");
        Assert.False(await bob.HasSessionAsync(alice), "reset_identity dropped the sessions");

        var newBundle = await bob.BundleAsync();
        await Expect.ErrorAsync(alice.TryProcessBundleAsync(bob, newBundle), "UntrustedIdentity", "process_bundle of the changed identity's bundle");

        // Bob, reinstalled, knows nobody: Alice's key is a first contact for him.
        await bob.StartSessionWithAsync(alice);
        var hello = Plaintexts.Text("it is me, reinstalled");
        var opening = await bob.EncryptAsync(alice, hello);
        Assert.Equal(Ciphertext.PreKey, opening.Type);
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, opening), "UntrustedIdentity", "a PreKey message from the changed identity");

        await alice.TrustAsync(bob, bob.IdentityKey);
        await alice.ProcessBundleAsync(bob, newBundle);
        await Expect.DecryptsAsync(alice, bob, opening, hello, "the same PreKey message after trust");

        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("welcome back"), "to the new identity");
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("thanks"), "from the new identity");
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("settled"), "to the new identity again", Ciphertext.Whisper);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Old_session_keeps_sending_after_a_reinstall_and_a_refused_prekey_message_changes_nothing_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);
        await bob.ResetIdentityAsync();

        // Alice's old session still names Bob's old key, which she trusts: sending on it is allowed.
        var stale = await alice.EncryptAsync(bob, Plaintexts.Text("to the old device"));
        Assert.Equal(Ciphertext.Whisper, stale.Type);
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, stale), "NoSession", "a SignalMessage to the reinstalled side");

        await bob.StartSessionWithAsync(alice);
        var opening = await bob.EncryptAsync(alice, Plaintexts.Text("new key"));
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, opening), "UntrustedIdentity", "a PreKey message from the changed identity");
        Assert.True(await alice.HasSessionAsync(bob), "the refused PreKey message left Alice's old session in place");
    }
}
