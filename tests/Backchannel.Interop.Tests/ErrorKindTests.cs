using System.Text.Json;
using System.Text.Json.Nodes;
using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>The contract's remaining error KINDs (DESIGN.md §4.1): bad bundles, bad versions, truncation, missing prekeys.</summary>
public sealed class ErrorKindTests(PeerPool pool) : InteropTest(pool)
{
    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_bundle_with_a_broken_prekey_signature_is_an_invalid_signature_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var bundle = await bob.BundleAsync();

        await Expect.ErrorAsync(
            alice.TryProcessBundleAsync(bob, Change(bundle, "signedPreKeySignature", FlipLast)), "InvalidSignature", "a flipped signed-prekey signature");
        await Expect.ErrorAsync(
            alice.TryProcessBundleAsync(bob, Change(bundle, "kyberPreKeySignature", FlipLast)), "InvalidSignature", "a flipped Kyber-prekey signature");
        Assert.False(await alice.HasSessionAsync(bob), "a refused bundle left a session behind");

        await alice.ProcessBundleAsync(bob, bundle);
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("the real bundle"), "after the refused bundles", Ciphertext.PreKey);
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_bundle_with_unusable_key_bytes_is_an_invalid_key_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var bundle = await bob.BundleAsync();

        await Expect.ErrorAsync(
            alice.TryProcessBundleAsync(bob, Change(bundle, "signedPreKey", key => [0x06, .. key[1..]])), "InvalidKey", "a signed prekey with type byte 0x06");
        await Expect.ErrorAsync(
            alice.TryProcessBundleAsync(bob, Change(bundle, "identityKey", key => key[..^1])), "InvalidKey", "an identity key one byte short");
        await Expect.ErrorAsync(
            alice.TryProcessBundleAsync(bob, Change(bundle, "kyberPreKey", key => key[..^1])), "InvalidKey", "a Kyber prekey one byte short");
        Assert.False(await alice.HasSessionAsync(bob), "a refused bundle left a session behind");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Old_unknown_and_truncated_versions_are_refused_with_their_kinds_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);
        var hello = Plaintexts.Text("hello");
        var opening = await alice.EncryptAsync(bob, hello);

        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, WithVersion(opening, 0x22)), "LegacyCiphertextVersion", "a PreKey message with version nibble 2");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, WithVersion(opening, 0x55)), "InvalidMessage", "a PreKey message with version nibble 5");
        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, opening with { Bytes = opening.Bytes[..40] }), "InvalidMessage", "a PreKey message cut to 40 bytes");
        await Expect.DecryptsAsync(bob, alice, opening, hello, "the intact PreKey message");

        var reply = Plaintexts.Text("reply");
        var answer = await bob.EncryptAsync(alice, reply);
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, WithVersion(answer, 0x22)), "LegacyCiphertextVersion", "a SignalMessage with version nibble 2");
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, WithVersion(answer, 0x55)), "InvalidMessage", "a SignalMessage with version nibble 5");
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, answer with { Bytes = answer.Bytes[..5] }), "InvalidMessage", "a SignalMessage cut to 5 bytes");
        await Expect.ErrorAsync(alice.TryDecryptAsync(bob, answer with { Bytes = [] }), "InvalidMessage", "an empty SignalMessage");
        await Expect.DecryptsAsync(alice, bob, answer, reply, "the intact SignalMessage");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_prekey_message_whose_one_time_keys_are_used_up_is_an_invalid_key_id_once_the_session_is_gone_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);
        var opening = await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("once"), "the PreKey message", Ciphertext.PreKey);

        await bob.DeleteSessionAsync(alice);

        await Expect.ErrorAsync(bob.TryDecryptAsync(alice, opening), "InvalidKeyId", "the PreKey message again, its one-time prekeys consumed");
    }

    private static byte[] FlipLast(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[^1] ^= 0x01;
        return copy;
    }

    private static Ciphertext WithVersion(Ciphertext message, byte version) =>
        message with { Bytes = [version, .. message.Bytes[1..]] };

    private static JsonElement Change(JsonElement bundle, string field, Func<byte[], byte[]> change)
    {
        var copy = JsonNode.Parse(bundle.GetRawText())!.AsObject();
        copy[field] = Convert.ToBase64String(change(Convert.FromBase64String(copy[field]!.GetValue<string>())));
        using var document = JsonDocument.Parse(copy.ToJsonString());
        return document.RootElement.Clone();
    }
}
