using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backchannel.Client;
using Backchannel.Protocol;
using Backchannel.Relay.Accounts;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Keys;
using Backchannel.Relay.Messages;
using Backchannel.Relay.WebSockets;

namespace Backchannel.Fuzzing;

/// <summary>
/// Makes a new <see cref="Fixture"/> and valid seeds for every target with the library itself: Alice starts a
/// session with Bob, they exchange messages, Carol starts one Bob has not seen, Alice sends group and sealed
/// messages. Bob's state is captured after he has answered Alice, before he reads anything else.
/// </summary>
public static class SeedWriter
{
    private const long TimestampMs = 1_800_000_000_000;

    /// <summary>Writes fixture/receiver.json and corpus/TARGET/seed-* under <paramref name="fuzzDirectory"/>.</summary>
    public static void Write(string fuzzDirectory)
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs));
        var seeds = new List<(string Target, string Name, byte[] Bytes)>();
        void Seed(string target, string name, params byte[][] parts) => seeds.Add((target, name, parts.SelectMany(p => p).ToArray()));

        using var aliceId = IdentityKeyPair.Generate();
        using var bobId = IdentityKeyPair.Generate();
        using var carolId = IdentityKeyPair.Generate();
        var alice = new InMemoryProtocolStore(aliceId, 11);
        var bob = new InMemoryProtocolStore(bobId, 22);
        var carol = new InMemoryProtocolStore(carolId, 33);
        var signed = KeyHelper.GenerateSignedPreKey(bobId, 1, TimestampMs);
        var kyber = KeyHelper.GenerateKyberPreKey(bobId, 1, TimestampMs);
        var oneTime = KeyHelper.GeneratePreKeys(1, 2);
        bob.StoreSignedPreKey(1, signed);
        bob.StoreKyberPreKey(1, kyber, isLastResort: true);
        bob.StorePreKey(1, oneTime[0]);
        bob.StorePreKey(2, oneTime[1]);
        PreKeyBundle Bundle(PreKeyRecord preKey) => new(22, 1, preKey.Id, preKey.PublicKey, 1, signed.PublicKey, signed.Signature,
            bobId.PublicKey.Serialize(), 1, kyber.PublicKey, kyber.Signature);

        // 1:1: Alice → Bob (PreKey), Bob → Alice, then Alice's SignalMessages; Carol → Bob (PreKey, unread).
        SessionBuilder.ProcessPreKeyBundle(alice, Fixture.Bob, Bundle(oneTime[0]), time);
        var m1 = new SessionCipher(alice, Fixture.Bob, time).Encrypt("hello bob"u8);
        new SessionCipher(bob, Fixture.Alice, time).Decrypt(m1.Type, m1.Serialize());
        var reply = new SessionCipher(bob, Fixture.Alice, time).Encrypt("hello alice"u8);
        new SessionCipher(alice, Fixture.Bob, time).Decrypt(reply.Type, reply.Serialize());
        var m2 = new SessionCipher(alice, Fixture.Bob, time).Encrypt("second"u8).Serialize();
        var m3 = new SessionCipher(alice, Fixture.Bob, time).Encrypt(new byte[300]).Serialize();
        SessionBuilder.ProcessPreKeyBundle(carol, Fixture.Bob, Bundle(oneTime[1]), time);
        var c1 = new SessionCipher(carol, Fixture.Bob, time).Encrypt("hello from carol"u8).Serialize();

        // Groups: Alice's chain, distributed to Bob.
        var distribution = Guid.Parse("d1d1d1d1-d1d1-4d1d-8d1d-d1d1d1d1d1d1");
        var aliceKeys = new InMemorySenderKeyStore();
        var bobKeys = new InMemorySenderKeyStore();
        var skdm = GroupCipher.CreateDistributionMessage(aliceKeys, Fixture.Alice, distribution);
        GroupCipher.ProcessDistributionMessage(bobKeys, Fixture.Alice, skdm);
        var g1 = GroupCipher.Encrypt(aliceKeys, Fixture.Alice, distribution, "group one"u8);
        var g2 = GroupCipher.Encrypt(aliceKeys, Fixture.Alice, distribution, "group two"u8);
        var g3 = GroupCipher.Encrypt(aliceKeys, Fixture.Alice, distribution, "sealed group"u8);

        // Sealed sender: a 1:1 and a sender-key message from Alice.
        using var trustRoot = ECKeyPair.Generate();
        using var server = ECKeyPair.Generate();
        var serverCertificate = ServerCertificate.Create(1, server.PublicKey, trustRoot.PrivateKey);
        var senderCertificate = SenderCertificate.Create(Fixture.Alice.Name, null, Fixture.Alice.DeviceId, aliceId.PublicKey,
            (ulong)TimestampMs + 365UL * 24 * 3600 * 1000, serverCertificate, server.PrivateKey);
        var sealed1 = SealedSessionCipher.Encrypt(alice, Fixture.Bob, senderCertificate, "sealed one"u8, time);
        var sealed2 = SealedSessionCipher.Seal(alice, Fixture.Bob, senderCertificate, CiphertextMessage.SenderKeyType, g3, null);

        var fixture = new Fixture
        {
            ReceiverIdentity = bobId.Serialize(),
            ReceiverRegistrationId = 22,
            AliceIdentity = aliceId.PublicKey.Serialize(),
            SessionWithAlice = bob.LoadSession(Fixture.Alice)!.Serialize(),
            PreKeyId = 2,
            PreKey = bob.LoadPreKey(2)!.Serialize(),
            SignedPreKeyId = 1,
            SignedPreKey = bob.LoadSignedPreKey(1)!.Serialize(),
            KyberPreKeyId = 1,
            KyberPreKey = bob.LoadKyberPreKey(1)!.Serialize(),
            DistributionId = distribution,
            SenderKeyFromAlice = bobKeys.LoadSenderKey(Fixture.Alice, distribution)!.Serialize(),
            TrustRoot = trustRoot.PublicKey.Serialize(),
            TimestampMs = TimestampMs,
        };

        Seed("signal-message", "m2", m2);
        Seed("signal-message", "m3", m3);
        Seed("prekey-signal-message", "alice", m1.Serialize());
        Seed("prekey-signal-message", "carol", c1);
        Seed("sender-key-message", "g1", g1);
        Seed("sender-key-message", "g2", g2);
        Seed("sender-key-distribution", "alice", skdm);
        Seed("sealed-sender", "session", sealed1);
        Seed("sealed-sender", "group", sealed2);
        Seed("sealed-content", "session", ProtocolInternals.SerializeContent(ProtocolInternals.SealedSenderOpen(bobId, sealed1)));
        Seed("sealed-content", "group", ProtocolInternals.SerializeContent(ProtocolInternals.SealedSenderOpen(bobId, sealed2)));
        Seed("certificate", "sender", [0], senderCertificate.Serialize());
        Seed("certificate", "server", [1], serverCertificate.Serialize());
        Seed("record", "session", [0], fixture.SessionWithAlice);
        Seed("record", "session-initiator", [0], alice.LoadSession(Fixture.Bob)!.Serialize());
        Seed("record", "prekey", [1], fixture.PreKey);
        Seed("record", "signed-prekey", [2], fixture.SignedPreKey);
        Seed("record", "kyber-prekey", [3], fixture.KyberPreKey);
        Seed("record", "sender-key", [4], fixture.SenderKeyFromAlice);
        Seed("record", "sender-key-own", [4], aliceKeys.LoadSenderKey(Fixture.Alice, distribution)!.Serialize());
        Seed("key", "ec-public", [0], signed.PublicKey);
        Seed("key", "identity", [1], aliceId.PublicKey.Serialize());
        Seed("key", "ec-private", [2], server.PrivateKey.Serialize());
        Seed("key", "kyber-public", [3], kyber.PublicKey);
        Seed("key", "identity-pair", [4], aliceId.Serialize());
        Seed("session-decrypt", "alice-m2", [0], m2);
        Seed("session-decrypt", "alice-m3", [0], m3);
        Seed("session-decrypt", "refused-alice-prekey-replay", [1], m1.Serialize());
        Seed("session-decrypt", "carol-prekey", [3], c1);
        Seed("group-decrypt", "g1", g1);
        Seed("group-decrypt", "g2", g2);
        Seed("sealed-decrypt", "session", sealed1);
        Seed("sealed-decrypt", "group", sealed2);

        var invite = new Invite(new Uri("https://relay.example.org/"), Fixture.Alice.Name, aliceId.PublicKey.Serialize(), "alice",
            Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))).Encode();
        Seed("invite", "text", [0], Encoding.UTF8.GetBytes(invite));
        Seed("invite", "json", [1], Base64Url.DecodeFromChars(invite.AsSpan(Invite.Prefix.Length)));

        var signedDto = new SignedPreKeyDto { Id = 1, PublicKey = signed.PublicKey, Signature = signed.Signature };
        var kyberDto = new SignedPreKeyDto { Id = 1, PublicKey = kyber.PublicKey[..64], Signature = kyber.Signature };
        var register = new RegisterRequest
        {
            Credential = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)),
            RegistrationId = 22,
            IdentityKey = bobId.PublicKey.Serialize(),
            SignedPreKey = signedDto,
            KyberLastResortPreKey = kyberDto,
            PreKeys = [new PreKeyDto { Id = 2, PublicKey = oneTime[1].PublicKey }],
            KyberPreKeys = [kyberDto],
        };
        var upload = new KeysUploadRequest
        {
            SignedPreKey = signedDto,
            KyberLastResortPreKey = kyberDto,
            PreKeys = [new PreKeyDto { Id = 3, PublicKey = oneTime[1].PublicKey }],
            KyberPreKeys = [kyberDto],
        };
        var send = new SendRequest
        {
            Messages = [new OutgoingMessageDto { Id = Guid.NewGuid().ToString("D"), To = Fixture.Bob.Name, Device = 1, Type = 2, Content = m2 }],
        };
        var ack = new AckRequest { Ids = [Guid.NewGuid().ToString("D"), Guid.NewGuid().ToString("D")] };
        var frame = new ClientFrame { Type = WebSocketFrame.AckType, Id = Guid.NewGuid().ToString("D") };
        var sendFrame = new ClientFrame { Type = WebSocketFrame.SendType, RequestId = "1", Messages = send.Messages };
        Seed("relay-body", "register", [0], JsonSerializer.SerializeToUtf8Bytes(register, RelayJson.Options));
        Seed("relay-body", "keys", [1], JsonSerializer.SerializeToUtf8Bytes(upload, RelayJson.Options));
        Seed("relay-body", "send", [2], JsonSerializer.SerializeToUtf8Bytes(send, RelayJson.Options));
        Seed("relay-body", "ack", [3], JsonSerializer.SerializeToUtf8Bytes(ack, RelayJson.Options));
        Seed("relay-body", "frame", [4], JsonSerializer.SerializeToUtf8Bytes(frame, RelayJson.Options));
        Seed("relay-body", "frame-send", [4], JsonSerializer.SerializeToUtf8Bytes(sendFrame, RelayJson.Options));

        Directory.CreateDirectory(Path.Combine(fuzzDirectory, "fixture"));
        File.WriteAllBytes(Path.Combine(fuzzDirectory, "fixture", "receiver.json"), fixture.ToJson());
        foreach (var (target, name, bytes) in seeds)
        {
            var directory = Path.Combine(fuzzDirectory, "corpus", target);
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(Path.Combine(directory, $"seed-{name}"), bytes);
        }
    }
}
