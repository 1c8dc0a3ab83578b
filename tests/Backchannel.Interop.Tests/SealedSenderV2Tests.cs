using System.Security.Cryptography;
using Backchannel.Interop.Tests.Harness;
using Backchannel.Protocol;

namespace Backchannel.Interop.Tests;

/// <summary>
/// Sealed sender v2 (multi-recipient; LIBSIGNAL-FACTS §4.11) between the C# peer and libsignal 0.90.0: a sender-key
/// message sealed once for several recipients (sent form, 0x23), split per recipient by a "server" peer (received form,
/// 0x22) and opened by each recipient device. Sender, splitter and receiver each run in either implementation, so every
/// byte of both forms is produced by one and consumed by the other. The sender needs a 1:1 session with every device
/// (for its registration id) and the account's identity; an account's devices share one identity key, as in Signal,
/// because v2 seals once per account (tests/interop/README.md).
/// </summary>
public sealed class SealedSenderV2Tests(PeerPool pool) : InteropTest(pool)
{
    private const uint ServerKeyId = 11;

    /// <summary>Received form: version ‖ C(32) ‖ AT(16) ‖ E.pub(32) ‖ AES-GCM-SIV ciphertext ‖ tag(16).</summary>
    private const int COffset = 1;
    private const int AtOffset = 33;
    private const int EphemeralOffset = 49;
    private const int CiphertextOffset = 81;

    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static readonly long Tomorrow = Now + (long)TimeSpan.FromDays(1).TotalMilliseconds;

    /// <summary>(sender, splitter, receiver) over the C# peer and libsignal 0.90.0: all eight.</summary>
    public static TheoryData<PeerKind, PeerKind, PeerKind> Triples
    {
        get
        {
            var data = new TheoryData<PeerKind, PeerKind, PeerKind>();
            foreach (var sender in new[] { PeerKind.Dotnet, PeerKind.Libsignal })
            {
                foreach (var splitter in new[] { PeerKind.Dotnet, PeerKind.Libsignal })
                {
                    foreach (var receiver in new[] { PeerKind.Dotnet, PeerKind.Libsignal })
                    {
                        data.Add(sender, splitter, receiver);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Triples))]
    public async Task A_group_message_sealed_once_opens_at_every_recipient_device_for_every_sender_splitter_and_receiver(
        PeerKind senderKind, PeerKind splitterKind, PeerKind receiverKind)
    {
        var group = await GroupAsync(senderKind, receiverKind);
        var splitter = await Pool.GetAsync(splitterKind, 0);
        var otherSplitter = await Pool.GetAsync(Other(splitterKind), 0);

        for (var i = 0; i < 2; i++)
        {
            var plaintext = Plaintexts.Numbered("sealed for everyone", i);
            var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, plaintext);
            Assert.True(sent[0] == 0x23, $"message {i}: {group.Sender.Peer.Label} wrote sent-form version 0x{sent[0]:x2}, expected 0x23.");
            foreach (var recipient in group.Recipients)
            {
                var received = await Party.SealedMultiSplitAsync(splitter, sent, recipient);
                var again = await Party.SealedMultiSplitAsync(otherSplitter, sent, recipient);
                Assert.True(received.AsSpan().SequenceEqual(again), $"message {i}: {splitter.Label} and {otherSplitter.Label} split different bytes for {recipient}.");
                Assert.True(received[0] == 0x22, $"message {i}: {splitter.Label} wrote received-form version 0x{received[0]:x2}, expected 0x22.");
                await SealedDecryptsAsync(recipient, group, Now, received, plaintext, $"message {i} for {recipient}, split by {splitter.Label}");
            }
        }

        // Both devices of one account get the same received bytes: key material is per account identity.
        var last = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, Plaintexts.Text("last"));
        var first = await Party.SealedMultiSplitAsync(splitter, last, group.Recipients[0]);
        var second = await Party.SealedMultiSplitAsync(splitter, last, group.Recipients[1]);
        Assert.True(first.AsSpan().SequenceEqual(second), "the two devices of one account were given different received forms");
    }

    [Theory]
    [InlineData(PeerKind.Dotnet)]
    [InlineData(PeerKind.Libsignal)]
    public async Task The_newest_libsignal_splits_and_opens_what_either_sender_sealed(PeerKind senderKind)
    {
        // Sealed sender does not touch SPQR: the sender only processes the newest libsignal's bundles (for their
        // registration ids) and never sends it a 1:1 message, so the newest release can split and receive.
        var group = await GroupAsync(senderKind, PeerKind.LibsignalLatest, otherKind: PeerKind.Dotnet);
        var splitter = await Pool.GetAsync(PeerKind.LibsignalLatest, 0);
        var plaintext = Plaintexts.Text("sealed for the newest libsignal");
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, plaintext);
        foreach (var recipient in group.Recipients)
        {
            var received = await Party.SealedMultiSplitAsync(splitter, sent, recipient);
            await SealedDecryptsAsync(recipient, group, Now, received, plaintext, $"for {recipient}, split by {splitter.Label}");
        }
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Tampered_key_material_or_ciphertext_is_invalid_and_changes_nothing_in_every_pairing(PeerKind senderKind, PeerKind receiverKind)
    {
        var group = await GroupAsync(senderKind, receiverKind);
        var splitter = await Pool.GetAsync(receiverKind, 0);
        var plaintext = Plaintexts.Text("sealed, untouched");
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, plaintext);
        var receiver = group.Recipients[2];
        var received = await Party.SealedMultiSplitAsync(splitter, sent, receiver);

        var tampered = new (byte[] Bytes, string What)[]
        {
            (Flip(received, COffset + 5), "a flipped byte in C (the masked message key)"),
            (Flip(received, AtOffset + 7), "a flipped byte in AT (the sender's authentication tag)"),
            (Flip(received, EphemeralOffset + 3), "a flipped byte in E.pub"),
            (Flip(received, CiphertextOffset + ((received.Length - CiphertextOffset) / 2)), "a flipped byte in the shared ciphertext"),
            (Flip(received, received.Length - 1), "a flipped byte in the AES-GCM-SIV tag"),
            (received[..^20], "the last 20 bytes cut off"),
            (received[..60], "cut inside E.pub"),
        };
        foreach (var (bytes, what) in tampered)
        {
            await Expect.ErrorAsync(receiver.TrySealedDecryptAsync(group.Authority.TrustRoot, Now, bytes), "InvalidMessage", $"received form with {what}");
        }

        // The shared ciphertext tampered in the sent form reaches every recipient broken.
        var brokenSent = Flip(sent, sent.Length - 30);
        var brokenReceived = await Party.SealedMultiSplitAsync(splitter, brokenSent, receiver);
        await Expect.ErrorAsync(receiver.TrySealedDecryptAsync(group.Authority.TrustRoot, Now, brokenReceived), "InvalidMessage", "a sent form with a flipped ciphertext byte");

        await SealedDecryptsAsync(receiver, group, Now, received, plaintext, "the untampered received form after the tampered copies");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task An_expired_certificate_is_invalid_and_one_expiring_at_the_timestamp_is_accepted_in_every_pairing(PeerKind senderKind, PeerKind receiverKind)
    {
        var group = await GroupAsync(senderKind, receiverKind, certificateExpires: Now);
        var splitter = await Pool.GetAsync(senderKind, 0);
        var plaintext = Plaintexts.Text("sealed with a certificate expiring now");
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, plaintext);
        var receiver = group.Recipients[3];
        var received = await Party.SealedMultiSplitAsync(splitter, sent, receiver);

        await Expect.ErrorAsync(receiver.TrySealedDecryptAsync(group.Authority.TrustRoot, Now + 1, received), "InvalidCertificate", "opened 1 ms after the certificate expired");
        await Expect.ErrorAsync(receiver.TrySealedDecryptAsync(Authority.Create().TrustRoot, Now, received), "InvalidCertificate", "checked against another trust root");
        await SealedDecryptsAsync(receiver, group, Now, received, plaintext, "opened at the certificate's expiry (the refusals changed nothing)");
    }

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task A_certificate_for_another_identity_fails_the_authentication_tag_in_every_pairing(PeerKind senderKind, PeerKind receiverKind)
    {
        // The certificate is valid but names an identity key other than the sealing one, so AT (keyed by DH(S, R) with
        // S from the certificate) does not verify: libsignal "sender certificate key does not match authentication tag".
        var group = await GroupAsync(senderKind, receiverKind);
        var splitter = await Pool.GetAsync(receiverKind, 0);
        var stranger = await Party.CreateAsync(group.Sender.Peer);
        var borrowed = await group.Authority.CertifyAsync(group.Sender, Tomorrow, stranger.IdentityKey);
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, borrowed, group.Distribution, Plaintexts.Text("sealed with another key's certificate"));
        var receiver = group.Recipients[0];

        await Expect.ErrorAsync(
            receiver.TrySealedDecryptAsync(group.Authority.TrustRoot, Now, await Party.SealedMultiSplitAsync(splitter, sent, receiver)),
            "InvalidMessage", "a certificate for another identity than the sealing one");
    }

    [Theory]
    [MemberData(nameof(Pairings.Kinds), MemberType = typeof(Pairings))]
    public async Task Sealing_for_a_device_without_a_session_is_no_session(PeerKind senderKind)
    {
        // The sender needs a session with every device for its registration id (libsignal getExistingSessions /
        // remote_registration_id); a missing one refuses the whole message.
        var group = await GroupAsync(senderKind, Other(senderKind));
        var stranger = await Party.CreateAsync(await Pool.GetAsync(Other(senderKind), 1));
        await Expect.ErrorAsync(
            group.Sender.TrySealedMultiEncryptAsync([.. group.Recipients, stranger], group.Certificate, group.Distribution, Plaintexts.Text("and one more")),
            "NoSession", "sealing for a device the sender has no session with");

        var plaintext = Plaintexts.Text("without the stranger");
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, plaintext);
        var splitter = await Pool.GetAsync(senderKind, 0);
        await SealedDecryptsAsync(group.Recipients[1], group, Now, await Party.SealedMultiSplitAsync(splitter, sent, group.Recipients[1]), plaintext, "after the refusal");
        await Expect.ErrorAsync(Party.TrySealedMultiSplitAsync(splitter, sent, stranger), "BadRequest", "splitting for a party that is not a recipient");
    }

    [Theory]
    [MemberData(nameof(Pairings.Kinds), MemberType = typeof(Pairings))]
    public async Task Malformed_sent_forms_are_invalid_messages_at_the_splitter(PeerKind splitterKind)
    {
        var group = await GroupAsync(PeerKind.Dotnet, PeerKind.Libsignal);
        var splitter = await Pool.GetAsync(splitterKind, 0);
        var sent = await group.Sender.SealedMultiEncryptAsync(group.Recipients, group.Certificate, group.Distribution, Plaintexts.Text("to be mangled"));
        var receiver = group.Recipients[0];
        var afterFirstEntry = 1 + 1 + 17 + 3 + 3 + 48;

        var malformed = new (byte[] Bytes, string What)[]
        {
            ([], "an empty message"),
            ([0x11, .. sent[1..]], "the v1 version byte"),
            ([0x24, .. sent[1..]], "an unknown v2 version byte"),
            ([0x23, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "an overlong recipient count"),
            (sent[..22], "cut inside the first recipient's device list"),
            (sent[..(afterFirstEntry - 10)], "cut inside the first recipient's key material"),
            (sent[..(afterFirstEntry + 5)], "cut inside the second recipient's service id"),
            (With(sent, 2, 0x07), "an unknown service id kind"),
            (With(sent, 19, 0x80), "device id 128"),
        };
        foreach (var (bytes, what) in malformed)
        {
            await Expect.ErrorAsync(Party.TrySealedMultiSplitAsync(splitter, bytes, receiver), "InvalidMessage", $"sent form with {what}");
        }

        var received = await Party.SealedMultiSplitAsync(splitter, sent, receiver);
        await SealedDecryptsAsync(receiver, group, Now, received, Plaintexts.Text("to be mangled"), "the intact sent form");
    }

    /// <summary>
    /// A sender in a <paramref name="senderKind"/> peer and four recipient devices: an account with devices 1 and 2 and
    /// a second account in a <paramref name="receiverKind"/> peer, and a third account in a peer of the other kind (or
    /// <paramref name="otherKind"/>). The
    /// sender has a 1:1 session with every device and every device has processed the sender's distribution message.
    /// </summary>
    private async Task<Group> GroupAsync(PeerKind senderKind, PeerKind receiverKind, long? certificateExpires = null, PeerKind? otherKind = null)
    {
        var senderPeer = await Pool.GetAsync(senderKind, 0);
        var receiverPeer = await Pool.GetAsync(receiverKind, 1);
        var otherPeer = await Pool.GetAsync(otherKind ?? Other(receiverKind), 1);
        var sender = await Party.CreateAsync(senderPeer, device: 3);
        var bob = await Party.CreateAsync(receiverPeer);
        var bobLaptop = await bob.AddLinkedDeviceAsync(2);
        var carol = await Party.CreateAsync(receiverPeer, device: 4);
        var dave = await Party.CreateAsync(otherPeer);
        Party[] recipients = [bob, bobLaptop, carol, dave];

        var authority = Authority.Create();
        var certificate = await authority.CertifyAsync(sender, certificateExpires ?? Tomorrow);
        var distribution = Guid.NewGuid();
        var skdm = await sender.GroupDistributionAsync(distribution);
        foreach (var recipient in recipients)
        {
            await sender.StartSessionWithAsync(recipient);
            await recipient.GroupProcessAsync(sender, skdm);
        }

        return new Group(sender, recipients, authority, certificate, distribution);
    }

    private static PeerKind Other(PeerKind kind) => kind == PeerKind.Dotnet ? PeerKind.Libsignal : PeerKind.Dotnet;

    private static async Task SealedDecryptsAsync(Party receiver, Group group, long timestamp, byte[] received, byte[] plaintext, string what)
    {
        var sender = group.Sender;
        var answer = await receiver.TrySealedDecryptAsync(group.Authority.TrustRoot, timestamp, received);
        if (!answer.Ok)
        {
            Assert.Fail($"{what}: {answer.Peer} failed to open a {received.Length}-byte sealed v2 message with {answer.Error}: {answer.Message}");
        }

        Assert.True(answer.String("sender") == sender.Name, $"{what}: {answer.Peer} named sender {answer.String("sender")}, expected {sender.Name}.");
        Assert.True(answer.Int("senderDevice") == sender.Device, $"{what}: {answer.Peer} named sender device {answer.Int("senderDevice")}, expected {sender.Device}.");
        var decrypted = answer.Bytes("plaintext");
        if (!decrypted.AsSpan().SequenceEqual(plaintext))
        {
            Assert.Fail($"{what}: {answer.Peer} decrypted {decrypted.Length} bytes that differ from the {plaintext.Length} bytes sent.");
        }
    }

    private static byte[] Flip(byte[] bytes, int index) => With(bytes, index, (byte)(bytes[index] ^ 0x01));

    private static byte[] With(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private sealed record Group(Party Sender, Party[] Recipients, Authority Authority, byte[] Certificate, Guid Distribution);

    /// <summary>A made-up trust root and one server key it certified: 32 random bytes each as private keys.</summary>
    private sealed record Authority(byte[] TrustRootPrivateKey, byte[] TrustRoot, byte[] ServerPrivateKey)
    {
        public static Authority Create()
        {
            var trustRootPrivateKey = RandomNumberGenerator.GetBytes(32);
            using var key = ECPrivateKey.Deserialize(trustRootPrivateKey);
            return new Authority(trustRootPrivateKey, key.PublicKey().Serialize(), RandomNumberGenerator.GetBytes(32));
        }

        public Task<byte[]> CertifyAsync(Party party, long expires, byte[]? identityKey = null) =>
            party.SenderCertificateAsync(TrustRootPrivateKey, ServerPrivateKey, ServerKeyId, expires, identityKey);
    }
}
