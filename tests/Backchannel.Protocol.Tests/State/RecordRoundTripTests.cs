using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests.State;

/// <summary>Our versioned record formats survive a round trip, byte for byte and in meaning.</summary>
public sealed class RecordRoundTripTests
{
    [Fact]
    public void Session_record_with_skipped_keys_pending_prekey_and_archived_states_round_trips()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        s.Alice.StartSessionWith(s.Bob);
        var messages = Enumerable.Range(0, 5).Select(i => s.Alice.Encrypt(s.Bob, $"m{i}")).ToArray();
        Assert.Equal("m4", s.Bob.Decrypt(s.Alice, messages[4]));

        var alice = s.Alice.Record(s.Bob);
        Assert.NotNull(alice.Current!.PendingPreKey);
        Assert.Single(alice.Previous);
        var bob = s.Bob.Record(s.Alice);
        Assert.Equal(4, bob.Current!.ReceiverChains.Single().SkippedSeeds.Count);

        foreach (var record in new[] { alice, bob })
        {
            var bytes = record.Serialize();
            Assert.Equal(1, bytes[0]);
            var copy = SessionRecord.Deserialize(bytes);
            Assert.Equal(bytes, copy.Serialize());
            Assert.Equal(record.Previous.Count, copy.Previous.Count);
            Assert.Equal(record.Current!.AliceBaseKey, copy.Current!.AliceBaseKey);
            Assert.Equal(record.Current.RootKey, copy.Current.RootKey);
            Assert.Equal(record.Current.LocalRegistrationId, copy.Current.LocalRegistrationId);
            Assert.Equal(record.Current.RemoteRegistrationId, copy.Current.RemoteRegistrationId);
        }
        var pending = SessionRecord.Deserialize(alice.Serialize()).Current!.PendingPreKey!;
        Assert.Equal(alice.Current.PendingPreKey!.KyberCiphertext, pending.KyberCiphertext);
        Assert.Equal(alice.Current.PendingPreKey.BaseKey, pending.BaseKey);
        Assert.Equal(alice.Current.PendingPreKey.PreKeyId, pending.PreKeyId);
        Assert.Equal(alice.Current.PendingPreKey.TimestampMs, pending.TimestampMs);
        var skipped = SessionRecord.Deserialize(bob.Serialize()).Current!.ReceiverChains.Single().SkippedSeeds;
        Assert.Equal(bob.Current.ReceiverChains.Single().SkippedSeeds.Select(k => k.Index), skipped.Select(k => k.Index));

        // The deserialized record is fully functional: the skipped messages still decrypt from it.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"m{i}", s.Bob.Decrypt(s.Alice, messages[i]));
        }
    }

    [Fact]
    public void Empty_session_record_round_trips()
    {
        var empty = new SessionRecord();
        Assert.False(empty.HasCurrentState);
        var copy = SessionRecord.Deserialize(empty.Serialize());
        Assert.False(copy.HasCurrentState);
        Assert.Empty(copy.Previous);
    }

    [Fact]
    public void Prekey_record_round_trips()
    {
        using var record = KeyHelper.GeneratePreKeys(77, 1)[0];
        var bytes = record.Serialize();
        using var copy = PreKeyRecord.Deserialize(bytes);
        Assert.Equal(77u, copy.Id);
        Assert.Equal(record.PublicKey, copy.PublicKey);
        Assert.Equal(record.KeyPair.PrivateKey.Serialize(), copy.KeyPair.PrivateKey.Serialize());
        Assert.Equal(bytes, copy.Serialize());
    }

    [Fact]
    public void Signed_prekey_record_round_trips()
    {
        using var identity = IdentityKeyPair.Generate();
        using var record = KeyHelper.GenerateSignedPreKey(identity, 0xFFFF_FFFE, 1_767_225_600_000);
        var bytes = record.Serialize();
        using var copy = SignedPreKeyRecord.Deserialize(bytes);
        Assert.Equal(0xFFFF_FFFEu, copy.Id);
        Assert.Equal(1_767_225_600_000, copy.Timestamp);
        Assert.Equal(record.PublicKey, copy.PublicKey);
        Assert.Equal(record.Signature, copy.Signature);
        Assert.Equal(record.KeyPair.PrivateKey.Serialize(), copy.KeyPair.PrivateKey.Serialize());
        Assert.True(identity.PublicKey.VerifySignature(copy.PublicKey, copy.Signature));
        Assert.Equal(bytes, copy.Serialize());
    }

    [Fact]
    public void Kyber_prekey_record_round_trips()
    {
        using var identity = IdentityKeyPair.Generate();
        using var record = KeyHelper.GenerateKyberPreKey(identity, 9, 1_767_225_600_001);
        var bytes = record.Serialize();
        using var copy = KyberPreKeyRecord.Deserialize(bytes);
        Assert.Equal(9u, copy.Id);
        Assert.Equal(1_767_225_600_001, copy.Timestamp);
        Assert.Equal(record.PublicKey, copy.PublicKey);
        Assert.Equal(KyberPublicKey.SerializedLength, copy.PublicKey.Length);
        Assert.Equal(record.Signature, copy.Signature);
        Assert.Equal(record.KeyPair.SerializeSecretKey(), copy.KeyPair.SerializeSecretKey());
        Assert.True(identity.PublicKey.VerifySignature(copy.PublicKey, copy.Signature));
        Assert.Equal(bytes, copy.Serialize());

        var (ciphertext, secret) = record.KeyPair.PublicKey.Encapsulate();
        Assert.Equal(secret, copy.KeyPair.Decapsulate(ciphertext));
    }

    [Fact]
    public void Identity_key_pair_round_trips()
    {
        using var pair = IdentityKeyPair.Generate();
        var bytes = pair.Serialize();
        using var copy = IdentityKeyPair.Deserialize(bytes);
        Assert.Equal(pair.PublicKey, copy.PublicKey);
        Assert.Equal(pair.PrivateKey.Serialize(), copy.PrivateKey.Serialize());
        Assert.Equal(bytes, copy.Serialize());
    }

    [Theory]
    [MemberData(nameof(IdentityKeyPairRows), MemberType = typeof(LibsignalVectors))]
    public void Identity_key_pair_reads_and_writes_libsignal_bytes(IdentityKeyPairVector v)
    {
        using var pair = IdentityKeyPair.Deserialize(Hex(v.Serialized));
        Assert.Equal(v.PublicKey, Convert.ToHexStringLower(pair.PublicKey.Serialize()));
        Assert.Equal(v.PrivateKey, Convert.ToHexStringLower(pair.PrivateKey.Serialize()));
        Assert.Equal(v.Serialized, Convert.ToHexStringLower(pair.Serialize()));
    }

    [Fact]
    public void Identity_key_pair_with_mismatched_halves_is_an_invalid_key()
    {
        using var a = IdentityKeyPair.Generate();
        using var b = IdentityKeyPair.Generate();
        var mixed = new IdentityKeyPair(a.PublicKey, b.PrivateKey).Serialize();
        Assert.Throws<InvalidKeyException>(() => IdentityKeyPair.Deserialize(mixed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("02")]
    public void Records_with_an_unknown_format_byte_are_rejected(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Throws<InvalidMessageException>(() => SessionRecord.Deserialize(bytes));
        Assert.Throws<InvalidMessageException>(() => PreKeyRecord.Deserialize(bytes));
        Assert.Throws<InvalidMessageException>(() => SignedPreKeyRecord.Deserialize(bytes));
        Assert.Throws<InvalidMessageException>(() => KyberPreKeyRecord.Deserialize(bytes));
    }
}
