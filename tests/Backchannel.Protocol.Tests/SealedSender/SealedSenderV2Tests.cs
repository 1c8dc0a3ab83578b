using System.Security.Cryptography;
using Backchannel.Protocol.SealedSender;
using Microsoft.Extensions.Time.Testing;

namespace Backchannel.Protocol.Tests.SealedSender;

/// <summary>
/// Sealed sender v2 (FACTS §4.11; byte formats from libsignal sealed_sender.rs v0.90.0, checked live against libsignal
/// by tests/Backchannel.Interop.Tests/SealedSenderV2Tests): our own round trip, the sent-form layout, and hostile sent
/// and received forms, which may only ever produce the typed protocol exceptions.
/// </summary>
public sealed class SealedSenderV2Tests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private static readonly long Now = Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>AES-256-GCM-SIV with the zero nonce, expected values from OpenSSL (Python cryptography's AESGCMSIV).</summary>
    [Theory]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000", "", "bc1298ad14efe708f1d69b2ff37cb0a5")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000", "0100000000000000",
        "b6ba73bbb0f6a98a520f382f86c071c62e3c1b744add821d")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "5365616c65642053656e646572207632206f6e6520706179206c6f6164",
        "14a07c515a59b16854eac22b65c26014d179c2de7e935cd9dc94c27177c4883b1e091b159afa43cf9060f596b3")]
    public void Aes_gcm_siv_with_the_zero_nonce_matches_known_answers_and_round_trips(string key, string plaintext, string expected)
    {
        var sealedBytes = AesGcmSiv.Encrypt(Convert.FromHexString(key), Convert.FromHexString(plaintext));
        Assert.Equal(expected, Convert.ToHexStringLower(sealedBytes));
        Assert.Equal(plaintext, Convert.ToHexStringLower(AesGcmSiv.Decrypt(Convert.FromHexString(key), sealedBytes)!));
        sealedBytes[^1] ^= 1;
        Assert.Null(AesGcmSiv.Decrypt(Convert.FromHexString(key), sealedBytes));
    }

    [Fact]
    public void A_group_message_sealed_once_opens_for_every_recipient_device()
    {
        var g = Group.Create();
        var sent = g.Seal("hello everyone");

        Assert.Equal(0x23, sent[0]);
        var message = SealedSenderMultiRecipientMessage.Parse(sent);
        Assert.Equal(2, message.Recipients.Count);
        Assert.Empty(message.ExcludedRecipients);
        Assert.Equal(g.Bob.Name, message.Recipients[0].ServiceId);
        Assert.Equal([(1, (int)g.Bob.RegistrationId), (2, (int)g.BobLaptop.RegistrationId)], message.Recipients[0].Devices);
        Assert.Equal([(1, (int)g.Carol.RegistrationId)], message.Recipients[1].Devices);
        foreach (var device in new[] { g.Bob, g.BobLaptop, g.Carol })
        {
            var received = message.ReceivedMessageFor(device.Name);
            Assert.Equal(0x22, received[0]);
            var result = SealedSessionCipher.Decrypt(device.Store, device.SenderKeys, g.TrustRoot, Now, received, Time);
            Assert.Equal((g.Alice.Name, 3, CiphertextMessage.SenderKeyType), (result.SenderUuid, result.SenderDevice, result.CiphertextType));
            Assert.Equal("hello everyone", System.Text.Encoding.UTF8.GetString(result.Plaintext));
        }
    }

    [Fact]
    public void The_sent_form_has_one_entry_per_account_with_has_more_bits_then_excluded_recipients_then_the_shared_part()
    {
        var g = Group.Create();
        var excluded = Guid.NewGuid().ToString("D");
        var sent = g.Seal("layout", [excluded]);

        Assert.Equal(0x23, sent[0]);
        Assert.Equal(3, sent[1]); // two accounts + one excluded
        Assert.Equal(0, sent[2]); // ACI kind
        Assert.Equal(Guid.Parse(g.Bob.Name).ToByteArray(bigEndian: true), sent[3..19]);
        Assert.Equal(1, sent[19]);
        Assert.Equal(0x8000 | (int)g.Bob.RegistrationId, (sent[20] << 8) | sent[21]);
        Assert.Equal(2, sent[22]);
        Assert.Equal((int)g.BobLaptop.RegistrationId, (sent[23] << 8) | sent[24]);
        var carolEntry = 25 + 48;
        Assert.Equal(Guid.Parse(g.Carol.Name).ToByteArray(bigEndian: true), sent[(carolEntry + 1)..(carolEntry + 17)]);
        var excludedEntry = carolEntry + 17 + 3 + 48;
        Assert.Equal([0, .. Guid.Parse(excluded).ToByteArray(bigEndian: true), 0], sent[excludedEntry..(excludedEntry + 18)]);

        var message = SealedSenderMultiRecipientMessage.Parse(sent);
        Assert.Equal([excluded], message.ExcludedRecipients);
        Assert.Throws<ArgumentException>(() => message.ReceivedMessageFor(excluded));
        var received = message.ReceivedMessageFor(g.Carol.Name);
        Assert.Equal(sent[(carolEntry + 20)..(carolEntry + 68)], received[1..49]);
        Assert.Equal(sent[(excludedEntry + 18)..], received[49..]);
    }

    [Fact]
    public void A_uuid_sent_form_splits_into_the_same_received_forms_as_the_service_id_form()
    {
        var g = Group.Create();
        var sent = g.Seal("old and new sent forms");
        var message = SealedSenderMultiRecipientMessage.Parse(sent);

        // The 0x22 sent form carries bare 16-byte ACI UUIDs instead of 17-byte service ids.
        var legacy = new List<byte> { 0x22, sent[1] };
        var position = 2;
        for (var entry = 0; entry < 2; entry++)
        {
            legacy.AddRange(sent[(position + 1)..(position + 17)]);
            position += 17;
            var start = position;
            while (((sent[position + 1] << 8) & 0x8000) != 0)
            {
                position += 3;
            }
            position += 3 + 48;
            legacy.AddRange(sent[start..position]);
        }
        legacy.AddRange(sent[position..]);
        var old = SealedSenderMultiRecipientMessage.Parse(legacy.ToArray());

        Assert.Equal(0x22, old.Version);
        Assert.Equal(message.ReceivedMessageFor(g.Bob.Name), old.ReceivedMessageFor(g.Bob.Name));
        Assert.Equal(message.ReceivedMessageFor(g.Carol.Name), old.ReceivedMessageFor(g.Carol.Name));
    }

    [Fact]
    public void A_recipient_split_over_two_entries_is_merged_and_one_also_excluded_is_refused()
    {
        var g = Group.Create();
        var sent = g.Seal("bob, carol, bob", order: [g.Bob, g.Carol, g.BobLaptop]);
        var message = SealedSenderMultiRecipientMessage.Parse(sent);
        Assert.Equal(2, message.Recipients.Count);
        Assert.Equal([1, 2], message.Recipients[0].Devices.Select(d => d.DeviceId));
        var result = SealedSessionCipher.Decrypt(g.BobLaptop.Store, g.BobLaptop.SenderKeys, g.TrustRoot, Now, message.ReceivedMessageFor(g.Bob.Name), Time);
        Assert.Equal("bob, carol, bob", System.Text.Encoding.UTF8.GetString(result.Plaintext));

        // Rewrite Carol's entry as an exclusion of Bob: 0x23 ‖ count 2 ‖ Bob (devices, C, AT) ‖ Bob excluded ‖ shared.
        var bobEntry = sent[2..(2 + 17 + 3 + 48)];
        var shared = sent[(2 + (3 * (17 + 3 + 48)))..];
        byte[] hostile = [0x23, 2, .. bobEntry, .. bobEntry[..17], 0, .. shared];
        Assert.Throws<InvalidMessageException>(() => SealedSenderMultiRecipientMessage.Parse(hostile));
    }

    public static TheoryData<string, string> HostileSentForms => new()
    {
        { "", "empty" },
        { "11", "v1 version byte" },
        { "33", "v3 version byte" },
        { "23", "no recipient count" },
        { "2380", "unterminated count" },
        { "23ffffffff7f", "count beyond the limit" },
        { "23ffffffffff01", "count longer than five bytes" },
        { "2301", "no recipient" },
        { "230102" + "00000000000000000000000000000000", "unknown service id kind" },
        { "230100" + "00000000000000000000000000000000", "no device list" },
        { "230100" + "00000000000000000000000000000000" + "80" + "0001", "device id 128" },
        { "230100" + "00000000000000000000000000000000" + "01" + "80", "half a registration id" },
        { "230100" + "00000000000000000000000000000000" + "01" + "8001", "has-more set on the last device" },
        { "230100" + "00000000000000000000000000000000" + "01" + "8001" + "00", "device id 0 after a device" },
        { "230100" + "00000000000000000000000000000000" + "01" + "0001" + "00", "key material cut short" },
        { "230100" + "00000000000000000000000000000000" + "00", "an exclusion and no ephemeral key" },
        { "230100" + "00000000000000000000000000000000" + "00" + new string('0', 62), "31-byte ephemeral key" },
        { "2200", "0x22 form without ephemeral key" },
        { "220100000000000000000000000000000000", "0x22 form cut after the UUID" },
    };

    [Theory]
    [MemberData(nameof(HostileSentForms))]
    public void A_hostile_sent_form_is_only_ever_an_invalid_message(string hex, string what)
    {
        var e = Assert.Throws<InvalidMessageException>(() => SealedSenderMultiRecipientMessage.Parse(Convert.FromHexString(hex)));
        Assert.False(string.IsNullOrEmpty(e.Message), what);
    }

    [Fact]
    public void Every_truncation_of_a_sent_form_is_refused_or_splits_into_messages_that_fail_typed()
    {
        var g = Group.Create();
        var sent = g.Seal("truncate me");
        for (var length = 0; length < sent.Length; length++)
        {
            SealedSenderMultiRecipientMessage message;
            try
            {
                message = SealedSenderMultiRecipientMessage.Parse(sent.AsSpan(0, length));
            }
            catch (InvalidMessageException)
            {
                continue;
            }
            var received = message.ReceivedMessageFor(g.Carol.Name);
            Assert.ThrowsAny<ProtocolException>(() => SealedSessionCipher.Decrypt(g.Carol.Store, g.Carol.SenderKeys, g.TrustRoot, Now, received, Time));
        }
    }

    [Fact]
    public void Random_corruption_of_sent_and_received_forms_only_raises_protocol_exceptions_and_changes_nothing()
    {
        var g = Group.Create();
        var sent = g.Seal("corrupt me");
        var random = new Random(20261127);
        for (var round = 0; round < 400; round++)
        {
            var copy = (byte[])sent.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
            }
            try
            {
                var message = SealedSenderMultiRecipientMessage.Parse(copy);
                foreach (var recipient in message.Recipients)
                {
                    if (recipient.ServiceId == g.Carol.Name)
                    {
                        var received = message.ReceivedMessageFor(recipient.ServiceId);
                        if (!received.AsSpan().SequenceEqual(SealedSenderMultiRecipientMessage.Parse(sent).ReceivedMessageFor(g.Carol.Name)))
                        {
                            Assert.ThrowsAny<ProtocolException>(() =>
                                SealedSessionCipher.Decrypt(g.Carol.Store, g.Carol.SenderKeys, g.TrustRoot, Now, received, Time));
                        }
                    }
                }
            }
            catch (InvalidMessageException)
            {
            }
        }

        // Nothing above consumed Carol's sender-key state: the intact message still opens.
        var intact = SealedSenderMultiRecipientMessage.Parse(sent).ReceivedMessageFor(g.Carol.Name);
        var result = SealedSessionCipher.Decrypt(g.Carol.Store, g.Carol.SenderKeys, g.TrustRoot, Now, intact, Time);
        Assert.Equal("corrupt me", System.Text.Encoding.UTF8.GetString(result.Plaintext));
    }

    [Theory]
    [InlineData(1 + 5, "C")]
    [InlineData(33 + 5, "AT")]
    [InlineData(49 + 5, "E.pub")]
    [InlineData(-1, "the GCM-SIV tag")]
    [InlineData(-40, "the ciphertext")]
    public void A_received_form_with_a_flipped_byte_is_an_invalid_message(int index, string where)
    {
        var g = Group.Create();
        var received = SealedSenderMultiRecipientMessage.Parse(g.Seal("flip")).ReceivedMessageFor(g.Carol.Name);
        received[index < 0 ? received.Length + index : index] ^= 0x04;
        var e = Assert.Throws<InvalidMessageException>(() => SealedSessionCipher.Decrypt(g.Carol.Store, g.Carol.SenderKeys, g.TrustRoot, Now, received, Time));
        Assert.False(string.IsNullOrEmpty(e.Message), where);
    }

    [Fact]
    public void An_expired_certificate_is_an_invalid_certificate()
    {
        var g = Group.Create();
        var received = SealedSenderMultiRecipientMessage.Parse(g.Seal("late")).ReceivedMessageFor(g.Carol.Name);
        Assert.Throws<InvalidCertificateException>(() =>
            SealedSessionCipher.Decrypt(g.Carol.Store, g.Carol.SenderKeys, g.TrustRoot, Now + (long)TimeSpan.FromDays(2).TotalMilliseconds, received, Time));
    }

    [Fact]
    public void Misuse_throws_standard_exceptions()
    {
        var g = Group.Create();
        var content = GroupCipher.Encrypt(g.Alice.SenderKeys, g.Alice.Address, g.Distribution, [1]);
        Assert.Throws<ArgumentException>(() =>
            SealedSessionCipher.MultiRecipientEncrypt(g.Alice.Store, [], g.Certificate, CiphertextMessage.SenderKeyType, content, null));
        Assert.Throws<ArgumentException>(() =>
            SealedSessionCipher.MultiRecipientEncrypt(g.Alice.Store, [new ProtocolAddress("not-a-uuid", 1)], g.Certificate, CiphertextMessage.SenderKeyType, content, null));
        Assert.Throws<NoSessionException>(() =>
            SealedSessionCipher.MultiRecipientEncrypt(g.Alice.Store, [new ProtocolAddress(Guid.NewGuid().ToString("D"), 1)], g.Certificate, CiphertextMessage.SenderKeyType, content, null));
        Assert.Throws<ArgumentException>(() =>
            SealedSessionCipher.MultiRecipientEncrypt(g.Alice.Store, [g.Carol.Address], g.Certificate, CiphertextMessage.SenderKeyType, content, null, [g.Carol.Name]));
        Assert.Throws<ArgumentNullException>(() =>
            SealedSessionCipher.MultiRecipientEncrypt(g.Alice.Store, [g.Carol.Address], null!, CiphertextMessage.SenderKeyType, content, null));
    }

    /// <summary>One device: a name (an ACI), a device id, an identity and its stores.</summary>
    private sealed class Device
    {
        public Device(string name, int deviceId, IdentityKeyPair? identity = null)
        {
            Name = name;
            Address = new ProtocolAddress(name, deviceId);
            Identity = identity ?? IdentityKeyPair.Generate();
            RegistrationId = KeyHelper.GenerateRegistrationId();
            Store = new InMemoryProtocolStore(Identity, RegistrationId);
        }

        public string Name { get; }

        public ProtocolAddress Address { get; }

        public IdentityKeyPair Identity { get; }

        public uint RegistrationId { get; }

        public InMemoryProtocolStore Store { get; }

        public InMemorySenderKeyStore SenderKeys { get; } = new();

        public PreKeyBundle Bundle()
        {
            var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
            var signed = KeyHelper.GenerateSignedPreKey(Identity, 1, now);
            var kyber = KeyHelper.GenerateKyberPreKey(Identity, 2, now);
            Store.StoreSignedPreKey(1, signed);
            Store.StoreKyberPreKey(2, kyber);
            return new PreKeyBundle(RegistrationId, Address.DeviceId, null, null, 1, signed.PublicKey, signed.Signature,
                Identity.PublicKey.Serialize(), 2, kyber.PublicKey, kyber.Signature);
        }
    }

    /// <summary>Alice (device 3) with sessions to Bob's devices 1 and 2 (one identity) and Carol, who all hold her sender key.</summary>
    private sealed record Group(Device Alice, Device Bob, Device BobLaptop, Device Carol, ECPublicKey TrustRoot, SenderCertificate Certificate, Guid Distribution)
    {
        public static Group Create()
        {
            var alice = new Device(Guid.NewGuid().ToString("D"), 3);
            var bob = new Device(Guid.NewGuid().ToString("D"), 1);
            var bobLaptop = new Device(bob.Name, 2, bob.Identity);
            var carol = new Device(Guid.NewGuid().ToString("D"), 1);
            using var trustRoot = ECPrivateKey.Generate();
            using var serverKey = ECPrivateKey.Generate();
            var server = ServerCertificate.Create(1, serverKey.PublicKey(), trustRoot);
            var certificate = SenderCertificate.Create(alice.Name, null, 3, alice.Identity.PublicKey,
                (ulong)(Now + (long)TimeSpan.FromDays(1).TotalMilliseconds), server, serverKey);
            var distribution = Guid.NewGuid();
            var skdm = GroupCipher.CreateDistributionMessage(alice.SenderKeys, alice.Address, distribution);
            foreach (var device in new[] { bob, bobLaptop, carol })
            {
                SessionBuilder.ProcessPreKeyBundle(alice.Store, device.Address, device.Bundle(), Time);
                GroupCipher.ProcessDistributionMessage(device.SenderKeys, alice.Address, skdm);
            }
            return new Group(alice, bob, bobLaptop, carol, trustRoot.PublicKey(), certificate, distribution);
        }

        public byte[] Seal(string text, IReadOnlyList<string>? excluded = null, Device[]? order = null)
        {
            var content = GroupCipher.Encrypt(Alice.SenderKeys, Alice.Address, Distribution, System.Text.Encoding.UTF8.GetBytes(text));
            var recipients = (order ?? [Bob, BobLaptop, Carol]).Select(d => d.Address).ToList();
            return SealedSessionCipher.MultiRecipientEncrypt(Alice.Store, recipients, Certificate, CiphertextMessage.SenderKeyType, content, null, excluded);
        }
    }
}
