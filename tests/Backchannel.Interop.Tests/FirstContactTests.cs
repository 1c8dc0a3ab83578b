using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 1: PQXDH first contact from a fetched bundle, in each bundle shape the contract offers.</summary>
public sealed class FirstContactTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public Task First_contact_with_a_one_time_prekey_works_both_ways_in_every_pairing(PeerKind initiator, PeerKind responder) =>
        FirstContactAsync(initiator, responder, oneTimePreKey: true, lastResortKyber: false);

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public Task First_contact_without_a_one_time_prekey_works_both_ways_in_every_pairing(PeerKind initiator, PeerKind responder) =>
        FirstContactAsync(initiator, responder, oneTimePreKey: false, lastResortKyber: false);

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public Task First_contact_on_a_last_resort_kyber_prekey_works_both_ways_in_every_pairing(PeerKind initiator, PeerKind responder) =>
        FirstContactAsync(initiator, responder, oneTimePreKey: true, lastResortKyber: true);

    [Theory]
    [MemberData(nameof(Pairings.Kinds), MemberType = typeof(Pairings))]
    public async Task Bundles_keep_the_signed_prekey_and_the_last_resort_kyber_key_but_renew_one_time_keys(PeerKind kind)
    {
        var bob = await Party.CreateAsync(await Pool.GetAsync(kind, 1));

        var first = await bob.BundleAsync(lastResortKyber: true);
        var second = await bob.BundleAsync(lastResortKyber: true);
        var withoutOneTime = await bob.BundleAsync(oneTimePreKey: false);

        Assert.Equal(first.GetProperty("signedPreKeyId").GetInt32(), second.GetProperty("signedPreKeyId").GetInt32());
        Assert.Equal(first.GetProperty("signedPreKey").GetString(), second.GetProperty("signedPreKey").GetString());
        Assert.Equal(first.GetProperty("kyberPreKeyId").GetInt32(), second.GetProperty("kyberPreKeyId").GetInt32());
        Assert.Equal(first.GetProperty("kyberPreKey").GetString(), second.GetProperty("kyberPreKey").GetString());
        Assert.NotEqual(first.GetProperty("preKeyId").GetInt32(), second.GetProperty("preKeyId").GetInt32());
        Assert.NotEqual(first.GetProperty("preKey").GetString(), second.GetProperty("preKey").GetString());
        Assert.True(
            !withoutOneTime.TryGetProperty("preKey", out var preKey) || preKey.ValueKind == System.Text.Json.JsonValueKind.Null,
            $"a bundle without a one-time prekey carries one: {withoutOneTime.GetRawText()}");
        Assert.Equal(Convert.ToBase64String(bob.IdentityKey), first.GetProperty("identityKey").GetString());
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_replayed_prekey_message_on_a_last_resort_kyber_key_is_refused_after_the_session_is_gone_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob, oneTimePreKey: false, lastResortKyber: true);
        var hello = Plaintexts.Text("on the last-resort key");
        var message = await Expect.RoundTripAsync(alice, bob, hello, "first PreKey message", Ciphertext.PreKey);

        await bob.DeleteSessionAsync(alice);

        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, message), "InvalidMessage", "the same PreKey message replayed on the last-resort Kyber key");
    }

    private async Task FirstContactAsync(PeerKind initiator, PeerKind responder, bool oneTimePreKey, bool lastResortKyber)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var bundle = await bob.BundleAsync(oneTimePreKey, lastResortKyber);
        await alice.ProcessBundleAsync(bob, bundle);
        Assert.True(await alice.HasSessionAsync(bob), "the initiator has a session after process_bundle");
        Assert.False(await bob.HasSessionAsync(alice), "the responder has no session before the first message");

        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("hello bob"), "first message", Ciphertext.PreKey);
        await Expect.RoundTripAsync(alice, bob, [], "an empty second message before any reply", Ciphertext.PreKey);
        Assert.True(await bob.HasSessionAsync(alice), "the responder has a session after the first message");

        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("hello alice"), "reply", Ciphertext.Whisper);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("after the reply"), "initiator after the reply", Ciphertext.Whisper);
        await Expect.RoundTripAsync(bob, alice, Plaintexts.Text("and again"), "responder once more", Ciphertext.Whisper);
    }
}
