using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Parties are (name, device): two devices of one name have separate identities and sessions (DESIGN.md §4.1).</summary>
public sealed class DeviceTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Sessions_with_two_devices_of_one_peer_are_independent_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var bobTablet = await bob.AddDeviceAsync(127);
        Assert.False(bob.IdentityKey.AsSpan().SequenceEqual(bobTablet.IdentityKey), "two devices share an identity key");

        await alice.StartSessionWithAsync(bob);
        await alice.StartSessionWithAsync(bobTablet);
        var toPhone = await alice.EncryptAsync(bob, Plaintexts.Text("to the phone"));
        var toTablet = await alice.EncryptAsync(bobTablet, Plaintexts.Text("to the tablet"));
        await Expect.DecryptsAsync(bobTablet, alice, toTablet, Plaintexts.Text("to the tablet"), "device 127's PreKey message");
        await Expect.DecryptsAsync(bob, alice, toPhone, Plaintexts.Text("to the phone"), "device 1's PreKey message");

        await Expect.RoundTripAsync(bobTablet, alice, Plaintexts.Text("tablet here"), "from device 127", Ciphertext.Whisper);
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("phone here"), "from device 1", Ciphertext.Whisper);
        await alice.DeleteSessionAsync(bob);
        Assert.True(await alice.HasSessionAsync(bobTablet), "deleting the session with device 1 dropped device 127's");
        await Expect.RoundTripAsync(alice, bobTablet, Plaintexts.Text("still you"), "to device 127 after device 1's session is gone", Ciphertext.Whisper);
    }
}
