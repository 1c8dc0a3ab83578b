using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>Bundles, prekey bookkeeping and identity trust (FACTS §4.3).</summary>
public sealed class SessionBuilderTests
{
    [Fact]
    public void Bad_signed_prekey_signature_is_rejected_and_no_session_is_stored()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        var bad = bundle with { SignedPreKeySignature = Tamper.Flip(bundle.SignedPreKeySignature, 10) };
        Assert.Throws<InvalidSignatureException>(() => s.Alice.Process(s.Bob, bad));
        Assert.Null(s.Alice.RecordBytes(s.Bob));
        Assert.Null(s.Alice.Store.GetIdentity(s.Bob.Address));
    }

    [Fact]
    public void Bad_kyber_prekey_signature_is_rejected_and_no_session_is_stored()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        var bad = bundle with { KyberPreKeySignature = Tamper.Flip(bundle.KyberPreKeySignature, 40) };
        Assert.Throws<InvalidSignatureException>(() => s.Alice.Process(s.Bob, bad));
        Assert.Null(s.Alice.RecordBytes(s.Bob));
    }

    [Fact]
    public void Signatures_by_another_identity_are_rejected()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        using var mallory = IdentityKeyPair.Generate();
        Assert.Throws<InvalidSignatureException>(() => s.Alice.Process(s.Bob, bundle with { IdentityKey = mallory.PublicKey.Serialize() }));
        // Swapped signatures: each is valid, but over the other key.
        Assert.Throws<InvalidSignatureException>(() => s.Alice.Process(s.Bob,
            bundle with { SignedPreKeySignature = bundle.KyberPreKeySignature, KyberPreKeySignature = bundle.SignedPreKeySignature }));
        Assert.Throws<InvalidSignatureException>(() => s.Alice.Process(s.Bob, bundle with { SignedPreKeySignature = [] }));
        Assert.Null(s.Alice.RecordBytes(s.Bob));
    }

    [Fact]
    public void Bad_key_bytes_in_a_bundle_are_invalid_keys_and_no_session_is_stored()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        var wrongIdentityType = (byte[])bundle.IdentityKey.Clone();
        wrongIdentityType[0] = 0x06;
        var mlKemType = (byte[])bundle.KyberPreKeyPublic.Clone();
        mlKemType[0] = 0x0A;
        var cases = new[]
        {
            bundle with { IdentityKey = wrongIdentityType },
            bundle with { IdentityKey = bundle.IdentityKey[..32] },
            bundle with { SignedPreKeyPublic = bundle.SignedPreKeyPublic[1..] },
            bundle with { SignedPreKeyPublic = [.. bundle.SignedPreKeyPublic, 0] },
            bundle with { KyberPreKeyPublic = bundle.KyberPreKeyPublic[..^1] },
            bundle with { KyberPreKeyPublic = mlKemType },
            bundle with { KyberPreKeyPublic = [] },
            bundle with { PreKeyPublic = bundle.PreKeyPublic![..20] },
            bundle with { PreKeyId = null },
        };
        foreach (var bad in cases)
        {
            Assert.Throws<InvalidKeyException>(() => s.Alice.Process(s.Bob, bad));
        }
        Assert.Null(s.Alice.RecordBytes(s.Bob));
        Assert.Null(s.Alice.Store.GetIdentity(s.Bob.Address));
    }

    [Fact]
    public void Kyber_prekey_with_out_of_range_coefficients_is_an_invalid_key()
    {
        // Correct type and length, properly signed, but every 12-bit coefficient is 4095 ≥ q.
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        var garbage = new byte[KyberPublicKey.SerializedLength];
        Array.Fill(garbage, (byte)0xFF);
        garbage[0] = KyberPublicKey.Kyber1024Type;
        var bad = bundle with { KyberPreKeyPublic = garbage, KyberPreKeySignature = s.Bob.Identity.Sign(garbage) };
        Assert.Throws<InvalidKeyException>(() => s.Alice.Process(s.Bob, bad));
        Assert.Null(s.Alice.RecordBytes(s.Bob));
    }

    [Fact]
    public void Changed_identity_in_a_bundle_is_untrusted_until_saved()
    {
        var s = Scenario.Established();
        var reinstalled = new Party("bob", s.Time);
        var bundle = reinstalled.PublishBundle();
        var before = s.Alice.RecordBytes(s.Bob);
        Assert.Throws<UntrustedIdentityException>(() => s.Alice.Process(reinstalled, bundle));
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
        Assert.Equal(s.Bob.Identity.PublicKey, s.Alice.Store.GetIdentity(s.Bob.Address));

        Assert.True(s.Alice.Store.SaveIdentity(s.Bob.Address, reinstalled.Identity.PublicKey));
        s.Alice.Process(reinstalled, bundle);
        Assert.Equal("new you", reinstalled.Decrypt(s.Alice, s.Alice.Encrypt(reinstalled, "new you")));
    }

    [Fact]
    public void Encrypt_and_decrypt_are_untrusted_while_the_store_trusts_another_identity()
    {
        var s = Scenario.Established();
        var pending = s.Bob.Encrypt(s.Alice, "waiting");
        using var other = IdentityKeyPair.Generate();
        s.Alice.Store.SaveIdentity(s.Bob.Address, other.PublicKey);

        var before = s.Alice.RecordBytes(s.Bob);
        Assert.Throws<UntrustedIdentityException>(() => s.Alice.Encrypt(s.Bob, "x"));
        Assert.Throws<UntrustedIdentityException>(() => s.Alice.Decrypt(s.Bob, pending));
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
        Assert.Equal(other.PublicKey, s.Alice.Store.GetIdentity(s.Bob.Address));

        s.Alice.Store.SaveIdentity(s.Bob.Address, s.Bob.Identity.PublicKey);
        Assert.Equal("waiting", s.Alice.Decrypt(s.Bob, pending));
        Assert.Equal("trusted again", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "trusted again")));
    }

    [Fact]
    public void PreKey_message_from_a_changed_identity_is_untrusted_until_saved()
    {
        var s = Scenario.Established();
        var reinstalled = new Party("bob", s.Time);
        var bundle = s.Alice.PublishBundle();
        reinstalled.Process(s.Alice, bundle);
        var message = reinstalled.Encrypt(s.Alice, "it's me, new keys");

        var before = s.Alice.RecordBytes(s.Bob);
        Assert.Throws<UntrustedIdentityException>(() => s.Alice.Decrypt(reinstalled, message));
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
        Assert.NotNull(s.Alice.Store.LoadPreKey(bundle.PreKeyId!.Value));

        s.Alice.Store.SaveIdentity(s.Bob.Address, reinstalled.Identity.PublicKey);
        Assert.Equal("it's me, new keys", s.Alice.Decrypt(reinstalled, message));
        var record = s.Alice.Record(s.Bob);
        Assert.Equal(reinstalled.Identity.PublicKey, record.Current!.RemoteIdentity);
        Assert.Single(record.Previous);
    }

    [Fact]
    public void Last_resort_kyber_prekey_replay_after_session_drop_is_an_invalid_message()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: false, lastResortKyber: true);
        s.Alice.Process(s.Bob, bundle);
        var first = s.Alice.Encrypt(s.Bob, "first");
        var second = s.Alice.Encrypt(s.Bob, "second");
        Assert.Equal("first", s.Bob.Decrypt(s.Alice, first));
        Assert.NotNull(s.Bob.Store.LoadKyberPreKey(bundle.KyberPreKeyId));

        s.Bob.Store.DeleteSession(s.Alice.Address);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, first));
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, second));
        Assert.Null(s.Bob.RecordBytes(s.Alice));

        // A new initiation with the same last-resort key is fine: only the (key, base key) pair is spent.
        s.Alice.Process(s.Bob, bundle);
        Assert.Equal("again", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "again")));
    }

    [Fact]
    public void One_time_kyber_prekey_is_deleted_after_use()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: false, lastResortKyber: false);
        s.Alice.Process(s.Bob, bundle);
        var first = s.Alice.Encrypt(s.Bob, "first");
        Assert.Equal("first", s.Bob.Decrypt(s.Alice, first));
        Assert.Null(s.Bob.Store.LoadKyberPreKey(bundle.KyberPreKeyId));

        s.Bob.Store.DeleteSession(s.Alice.Address);
        Assert.Throws<InvalidKeyIdException>(() => s.Bob.Decrypt(s.Alice, first));
        Assert.Null(s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void One_time_ec_prekey_is_deleted_after_use()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: true, lastResortKyber: true);
        s.Alice.Process(s.Bob, bundle);
        var first = s.Alice.Encrypt(s.Bob, "first");
        Assert.Equal("first", s.Bob.Decrypt(s.Alice, first));
        Assert.Null(s.Bob.Store.LoadPreKey(bundle.PreKeyId!.Value));
        Assert.NotNull(s.Bob.Store.LoadKyberPreKey(bundle.KyberPreKeyId));

        s.Bob.Store.DeleteSession(s.Alice.Address);
        Assert.Throws<InvalidKeyIdException>(() => s.Bob.Decrypt(s.Alice, first));
        Assert.Null(s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void Processing_a_bundle_records_the_pending_prekey_data()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        s.Alice.Process(s.Bob, bundle);
        var pending = s.Alice.Record(s.Bob).Current!.PendingPreKey!;
        Assert.Equal(bundle.PreKeyId, pending.PreKeyId);
        Assert.Equal(bundle.SignedPreKeyId, pending.SignedPreKeyId);
        Assert.Equal(bundle.KyberPreKeyId, pending.KyberPreKeyId);
        Assert.Equal(1 + 1568, pending.KyberCiphertext.Length);
        Assert.Equal(Scenario.Start.ToUnixTimeMilliseconds(), pending.TimestampMs);
        Assert.Equal(bundle.RegistrationId, s.Alice.Record(s.Bob).Current!.RemoteRegistrationId);
    }
}
