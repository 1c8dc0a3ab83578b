using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests;

/// <summary>
/// PreKeySignalMessages that libsignal 0.90.0 made to a bundle whose secrets are recorded (libsignal's Node API
/// has no Kyber encapsulation, so its KEM is exercised end to end): our responder must decrypt them.
/// </summary>
public sealed class LibsignalPreKeyMessageTests
{
    private static readonly ProtocolAddress AliceAddress = new("alice", 1);

    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Our_responder_decrypts_libsignal_prekey_messages_in_any_order(PreKeyMessageVector v)
    {
        var bob = StoreFor(v);
        var cipher = new SessionCipher(bob, AliceAddress, TimeProvider.System);
        foreach (var m in v.Messages.Reverse())
        {
            Assert.Equal(CiphertextMessage.PreKeyType, m.Type);
            Assert.Equal(Hex(m.Plaintext), cipher.Decrypt(m.Type, Hex(m.Ciphertext)));
        }
        Assert.Equal(v.AliceIdentityKey, Convert.ToHexStringLower(bob.GetIdentity(AliceAddress)!.Serialize()));
        var record = bob.LoadSession(AliceAddress)!;
        Assert.Empty(record.Previous);
        Assert.Equal(v.AliceRegistrationId, record.Current!.RemoteRegistrationId);
        if (v.PreKeyId is { } id)
        {
            Assert.Null(bob.LoadPreKey(id));
        }
        Assert.NotNull(bob.LoadKyberPreKey(v.KyberPreKeyId));
    }

    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_prekey_message_replayed_is_a_duplicate(PreKeyMessageVector v)
    {
        var bob = StoreFor(v);
        var cipher = new SessionCipher(bob, AliceAddress, TimeProvider.System);
        var first = v.Messages[0];
        cipher.Decrypt(first.Type, Hex(first.Ciphertext));
        var before = bob.LoadSession(AliceAddress)!.Serialize();
        Assert.Throws<DuplicatedMessageException>(() => cipher.Decrypt(first.Type, Hex(first.Ciphertext)));
        Assert.Equal(before, bob.LoadSession(AliceAddress)!.Serialize());
    }

    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_bundle_signatures_verify(PreKeyMessageVector v)
    {
        var identity = IdentityKeyPair.Deserialize(Hex(v.BobIdentityKeyPair)).PublicKey;
        Assert.True(identity.VerifySignature(Hex(v.SignedPreKeyPublic), Hex(v.SignedPreKeySignature)));
        Assert.True(identity.VerifySignature(Hex(v.KyberPreKeyPublic), Hex(v.KyberPreKeySignature)));
    }

    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_prekey_message_with_a_tampered_kyber_ciphertext_fails_and_stores_nothing(PreKeyMessageVector v)
    {
        var bob = StoreFor(v);
        var cipher = new SessionCipher(bob, AliceAddress, TimeProvider.System);
        var bytes = Hex(v.Messages[0].Ciphertext);
        // The Kyber ciphertext is the last field: flipping a byte near the end changes it and nothing else.
        var tampered = Tamper.Flip(bytes, bytes.Length - 10);
        Assert.Throws<InvalidMessageException>(() => cipher.Decrypt(CiphertextMessage.PreKeyType, tampered));
        Assert.Null(bob.LoadSession(AliceAddress));
        Assert.Null(bob.GetIdentity(AliceAddress));
        if (v.PreKeyId is { } id)
        {
            Assert.NotNull(bob.LoadPreKey(id));
        }
    }

    private static InMemoryProtocolStore StoreFor(PreKeyMessageVector v)
    {
        var identity = IdentityKeyPair.Deserialize(Hex(v.BobIdentityKeyPair));
        var store = new InMemoryProtocolStore(identity, v.BobRegistrationId);
        var signedPair = new ECKeyPair(ECPublicKey.Deserialize(Hex(v.SignedPreKeyPublic)), ECPrivateKey.Deserialize(Hex(v.SignedPreKeyPrivate)));
        store.StoreSignedPreKey(v.SignedPreKeyId, new SignedPreKeyRecord(v.SignedPreKeyId, 0, signedPair, Hex(v.SignedPreKeySignature)));
        var kyberPair = KyberKeyPair.FromSerialized(Hex(v.KyberPreKeyPublic), Hex(v.KyberPreKeySecret));
        store.StoreKyberPreKey(v.KyberPreKeyId, new KyberPreKeyRecord(v.KyberPreKeyId, 0, kyberPair, Hex(v.KyberPreKeySignature)), isLastResort: true);
        if (v.PreKeyId is { } id)
        {
            var pair = new ECKeyPair(ECPublicKey.Deserialize(Hex(v.PreKeyPublic!)), ECPrivateKey.Deserialize(Hex(v.PreKeyPrivate!)));
            store.StorePreKey(id, new PreKeyRecord(id, pair));
        }
        return store;
    }
}
