using System.Security.Cryptography;
using Backchannel.Interop.Tests.Harness;
using Backchannel.Protocol;

namespace Backchannel.Interop.Tests;

/// <summary>
/// Sealed sender v1 (LIBSIGNAL-FACTS §4.11) around 1:1 messages, between the C# peer and libsignal 0.90.0 (1:1
/// sessions with the newest libsignal need SPQR). Each test makes up its own trust root and server key; each sender's
/// certificate comes from its own peer's <c>sender_certificate</c>, so every pairing also checks that one
/// implementation's certificates validate in the other.
/// </summary>
public sealed class SealedSenderTests(PeerPool pool) : InteropTest(pool)
{
    private const uint ServerKeyId = 7;

    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A day after <see cref="Now"/>: certificates that do not expire during a test run.</summary>
    private static readonly long Tomorrow = Now + (long)TimeSpan.FromDays(1).TotalMilliseconds;

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Sealed_prekey_and_whisper_messages_both_ways_name_the_sender_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var authority = Authority.Create();
        var (first, second) = await Pool.PairAsync(initiator, responder);
        var alice = await Party.CreateAsync(first, device: 2);
        var bob = await Party.CreateAsync(second, device: 5);
        var aliceCertificate = await authority.CertifyAsync(alice, Tomorrow);
        var bobCertificate = await authority.CertifyAsync(bob, Tomorrow);
        await alice.StartSessionWithAsync(bob);

        await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("sealed hello"), "sealed PreKey message");
        await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("sealed again, before any reply"), "second sealed PreKey message");
        await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Text("sealed reply"), "sealed reply (first SignalMessage)");
        await SealedRoundTripAsync(bob, alice, bobCertificate, authority, [], "sealed empty plaintext");
        for (var i = 0; i < 3; i++)
        {
            await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Numbered("sealed from alice", i), $"sealed SignalMessage {i} from alice");
            await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Numbered("sealed from bob", i), $"sealed SignalMessage {i} from bob");
        }

        // Sealed and unsealed messages share the one session.
        await Expect.RoundTripAsync(alice, bob, Plaintexts.Text("unsealed"), "an unsealed message on the same session", Ciphertext.Whisper);
        await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Text("sealed after unsealed"), "sealed after an unsealed message");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_certificate_expired_before_the_timestamp_is_invalid_and_one_expiring_at_it_is_accepted_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        // libsignal: a certificate is valid while expiration >= the validation time (sealed_sender.rs).
        var authority = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var certificate = await authority.CertifyAsync(alice, Now);
        await alice.StartSessionWithAsync(bob);
        var hello = Plaintexts.Text("sealed with a certificate expiring now");
        var sealedMessage = await alice.SealedEncryptAsync(bob, certificate, hello);

        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now + 1, sealedMessage), "InvalidCertificate", "decrypted 1 ms after the certificate expired");
        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Tomorrow, sealedMessage), "InvalidCertificate", "decrypted a day after the certificate expired");
        await SealedDecryptsAsync(bob, alice, authority, Now, sealedMessage, hello, "decrypted at the certificate's expiry (the refusals changed nothing)");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_certificate_not_signed_through_the_trust_root_is_invalid_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var authority = Authority.Create();
        var stranger = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await alice.StartSessionWithAsync(bob);
        var hello = Plaintexts.Text("sealed under the right trust root");
        var sealedMessage = await alice.SealedEncryptAsync(bob, await authority.CertifyAsync(alice, Tomorrow), hello);
        var strangeMessage = await alice.SealedEncryptAsync(bob, await stranger.CertifyAsync(alice, Tomorrow), Plaintexts.Text("sealed under another trust root"));

        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(stranger.TrustRoot, Now, sealedMessage), "InvalidCertificate", "checked against another trust root");
        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now, strangeMessage), "InvalidCertificate", "certificate from another trust root's server");
        await SealedDecryptsAsync(bob, alice, authority, Now, sealedMessage, hello, "checked against the right trust root (the refusals changed nothing)");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_certificate_for_another_identity_is_an_invalid_certificate_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        // The certificate is valid, but its identity key is not the one that sealed the message: libsignal refuses
        // it after opening the envelope ("sender certificate key does not match message key").
        var authority = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var carol = await Party.CreateAsync(alice.Peer);
        await alice.StartSessionWithAsync(bob);
        var borrowed = await alice.SealedEncryptAsync(bob, await authority.CertifyAsync(carol, Tomorrow), Plaintexts.Text("sealed with carol's certificate"));

        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now, borrowed), "InvalidCertificate", "a certificate for another identity than the sealing one");
        var hello = Plaintexts.Text("sealed with my own certificate");
        await SealedRoundTripAsync(
            alice, bob, await authority.CertifyAsync(alice, Tomorrow), authority, hello, "with the sender's own certificate (the refusal changed nothing)");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Tampered_sealed_bytes_are_invalid_and_change_nothing_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var authority = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var certificate = await authority.CertifyAsync(alice, Tomorrow);
        await alice.StartSessionWithAsync(bob);
        var hello = Plaintexts.Text("sealed, untouched");
        var sealedMessage = await alice.SealedEncryptAsync(bob, certificate, hello);

        var tampered = new (byte[] Bytes, string What)[]
        {
            (Tamper.FlipSealedField(sealedMessage, 1), "a flipped byte in the ephemeral key"),
            (Tamper.FlipSealedField(sealedMessage, 2), "a flipped byte in the encrypted sender identity"),
            (Tamper.FlipSealedField(sealedMessage, 3), "a flipped byte in the encrypted content"),
            (Flip(sealedMessage, sealedMessage.Length - 1), "a flipped byte in the content's MAC"),
            (sealedMessage[..^20], "the last 20 bytes cut off"),
        };
        foreach (var (bytes, what) in tampered)
        {
            await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now, bytes), "InvalidMessage", $"sealed PreKey message with {what}");
        }

        await SealedDecryptsAsync(bob, alice, authority, Now, sealedMessage, hello, "the untampered message after the tampered copies");
        var answer = Plaintexts.Text("sealed reply");
        var reply = await bob.SealedEncryptAsync(alice, await authority.CertifyAsync(bob, Tomorrow), answer);
        await Expect.ErrorAsync(
            alice.TrySealedDecryptAsync(authority.TrustRoot, Now, Tamper.FlipSealedField(reply, 3)), "InvalidMessage", "sealed SignalMessage with a flipped content byte");
        await SealedDecryptsAsync(alice, bob, authority, Now, reply, answer, "the untampered reply");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Replayed_sealed_messages_are_duplicates_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var authority = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var aliceCertificate = await authority.CertifyAsync(alice, Tomorrow);
        var bobCertificate = await authority.CertifyAsync(bob, Tomorrow);
        await alice.StartSessionWithAsync(bob);

        var opening = await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("opening"), "sealed PreKey message");
        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now, opening), "DuplicatedMessage", "the sealed PreKey message a second time");
        var reply = await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Text("reply"), "sealed reply");
        await Expect.ErrorAsync(alice.TrySealedDecryptAsync(authority.TrustRoot, Now, reply), "DuplicatedMessage", "the sealed reply a second time");
        var next = await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("next"), "sealed SignalMessage");
        await Expect.ErrorAsync(bob.TrySealedDecryptAsync(authority.TrustRoot, Now, next), "DuplicatedMessage", "a sealed SignalMessage a second time");

        await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Text("still fine"), "after the replays");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_certificate_made_by_the_other_peer_is_accepted_for_sealing_and_opening_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        // Each sender seals with a certificate for its own name, device and identity key that the other side's
        // peer issued (through a namesake party there), so the sealing implementation embeds a certificate the
        // other one made and the issuer validates it on opening.
        var authority = Authority.Create();
        var (alice, bob) = await PartiesAsync(initiator, responder);
        var aliceCertificate = await authority.CertifyAsync(await alice.NamesakeInAsync(bob.Peer), Tomorrow, alice.IdentityKey);
        var bobCertificate = await authority.CertifyAsync(await bob.NamesakeInAsync(alice.Peer), Tomorrow, bob.IdentityKey);
        await alice.StartSessionWithAsync(bob);

        await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("sealed with bob's side's certificate"), "sealed PreKey message");
        await SealedRoundTripAsync(bob, alice, bobCertificate, authority, Plaintexts.Text("sealed with alice's side's certificate"), "sealed reply");
        await SealedRoundTripAsync(alice, bob, aliceCertificate, authority, Plaintexts.Text("and again"), "sealed SignalMessage");
    }

    /// <summary>Seals at <paramref name="sender"/>, opens at <paramref name="receiver"/>; returns the sealed bytes.</summary>
    private static async Task<byte[]> SealedRoundTripAsync(Party sender, Party receiver, byte[] certificate, Authority authority, byte[] plaintext, string what)
    {
        var sealedMessage = await sender.SealedEncryptAsync(receiver, certificate, plaintext);
        await SealedDecryptsAsync(receiver, sender, authority, Now, sealedMessage, plaintext, what);
        return sealedMessage;
    }

    private static async Task SealedDecryptsAsync(Party receiver, Party sender, Authority authority, long timestamp, byte[] sealedMessage, byte[] plaintext, string what)
    {
        var answer = await receiver.TrySealedDecryptAsync(authority.TrustRoot, timestamp, sealedMessage);
        if (!answer.Ok)
        {
            Assert.Fail($"{what}: {answer.Peer} failed to open a {sealedMessage.Length}-byte sealed message with {answer.Error}: {answer.Message}");
        }

        Assert.True(answer.String("sender") == sender.Name, $"{what}: {answer.Peer} named sender {answer.String("sender")}, expected {sender.Name}.");
        Assert.True(answer.Int("senderDevice") == sender.Device, $"{what}: {answer.Peer} named sender device {answer.Int("senderDevice")}, expected {sender.Device}.");
        var decrypted = answer.Bytes("plaintext");
        if (!decrypted.AsSpan().SequenceEqual(plaintext))
        {
            Assert.Fail($"{what}: {answer.Peer} decrypted {decrypted.Length} bytes that differ from the {plaintext.Length} bytes sent.");
        }
    }

    private static byte[] Flip(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x01;
        return copy;
    }

    /// <summary>A made-up trust root and one server key it certified: 32 random bytes each as private keys.</summary>
    private sealed record Authority(byte[] TrustRootPrivateKey, byte[] TrustRoot, byte[] ServerPrivateKey)
    {
        public static Authority Create()
        {
            var trustRootPrivateKey = RandomNumberGenerator.GetBytes(32);
            using var key = ECPrivateKey.Deserialize(trustRootPrivateKey);
            return new Authority(trustRootPrivateKey, key.PublicKey().Serialize(), RandomNumberGenerator.GetBytes(32));
        }

        /// <summary>
        /// A certificate naming <paramref name="party"/>, made by its peer, expiring at <paramref name="expires"/>;
        /// for <paramref name="identityKey"/> when given, else for the party's own identity.
        /// </summary>
        public Task<byte[]> CertifyAsync(Party party, long expires, byte[]? identityKey = null) =>
            party.SenderCertificateAsync(TrustRootPrivateKey, ServerPrivateKey, ServerKeyId, expires, identityKey);
    }
}
