using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>
/// A failed decrypt changes no state (STYLE.md convention 4, libsignal tests/session.rs): the stored record is
/// byte-identical afterwards, and the untampered message still decrypts.
/// </summary>
public sealed class SessionCipherFailureTests
{
    [Fact]
    public void Decrypt_with_tampered_mac_fails_and_leaves_session_unchanged()
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "secret").Serialize();
        AssertFailsAndChangesNothing<InvalidMessageException>(s, CiphertextMessage.WhisperType, Tamper.Flip(bytes, bytes.Length - 1));
        Assert.Equal("secret", s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, bytes));
    }

    [Fact]
    public void Decrypt_with_tampered_body_fails_and_leaves_session_unchanged()
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "a body that spans two AES blocks").Serialize();
        // The ciphertext field sits just before the MAC.
        AssertFailsAndChangesNothing<InvalidMessageException>(s, CiphertextMessage.WhisperType, Tamper.Flip(bytes, bytes.Length - 8 - 5));
        Assert.Equal("a body that spans two AES blocks", s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, bytes));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(40)]
    public void Decrypt_of_truncated_message_fails_and_leaves_session_unchanged(int removed)
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "secret").Serialize();
        AssertFailsAndChangesNothing<InvalidMessageException>(s, CiphertextMessage.WhisperType, bytes[..^removed]);
        Assert.Equal("secret", s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, bytes));
    }

    [Theory]
    [InlineData(CiphertextMessage.PreKeyType)]
    [InlineData(CiphertextMessage.SenderKeyType)]
    [InlineData(CiphertextMessage.PlaintextType)]
    [InlineData(0)]
    public void Decrypt_with_wrong_type_fails_and_leaves_session_unchanged(int wrongType)
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "secret").Serialize();
        AssertFailsAndChangesNothing<InvalidMessageException>(s, wrongType, bytes);
        Assert.Equal("secret", s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, bytes));
    }

    [Fact]
    public void Decrypt_of_prekey_message_as_signal_message_fails_and_stores_nothing()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var bytes = s.Alice.Encrypt(s.Bob, "first").Serialize();
        Assert.ThrowsAny<ProtocolException>(() => s.Bob.Decrypt(s.Alice, CiphertextMessage.WhisperType, bytes));
        Assert.Null(s.Bob.RecordBytes(s.Alice));
        Assert.Equal("first", s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, bytes));
    }

    [Fact]
    public void Decrypt_with_legacy_version_fails_and_leaves_session_unchanged()
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "secret").Serialize();
        var legacy = (byte[])bytes.Clone();
        legacy[0] = 0x22;
        AssertFailsAndChangesNothing<LegacyCiphertextVersionException>(s, CiphertextMessage.WhisperType, legacy);
        var future = (byte[])bytes.Clone();
        future[0] = 0x54;
        AssertFailsAndChangesNothing<InvalidMessageException>(s, CiphertextMessage.WhisperType, future);
        var x3dh = (byte[])bytes.Clone();
        x3dh[0] = 0x33;
        AssertFailsAndChangesNothing<InvalidMessageException>(s, CiphertextMessage.WhisperType, x3dh);
        Assert.Equal("secret", s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, bytes));
    }

    [Fact]
    public void Decrypt_with_tampered_mac_on_a_new_ratchet_key_fails_and_leaves_session_unchanged()
    {
        // The first message of a new chain makes the receiver attempt a DH ratchet step; that too must not stick.
        var s = Scenario.Established();
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "ratchet"));
        var bytes = s.Alice.Encrypt(s.Bob, "new chain").Serialize();
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, CiphertextMessage.WhisperType, Tamper.Flip(bytes, bytes.Length - 3)));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        Assert.Equal("new chain", s.Bob.Decrypt(s.Alice, CiphertextMessage.WhisperType, bytes));
    }

    [Fact]
    public void Decrypt_of_tampered_first_prekey_message_fails_and_stores_nothing()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        s.Alice.Process(s.Bob, bundle);
        var bytes = s.Alice.Encrypt(s.Bob, "first").Serialize();
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, Tamper.Flip(bytes, bytes.Length - 1)));
        Assert.Null(s.Bob.RecordBytes(s.Alice));
        Assert.Null(s.Bob.Store.GetIdentity(s.Alice.Address));
        Assert.NotNull(s.Bob.Store.LoadPreKey(bundle.PreKeyId!.Value));
        Assert.NotNull(s.Bob.Store.LoadKyberPreKey(bundle.KyberPreKeyId));
        Assert.Equal("first", s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, bytes));
    }

    [Fact]
    public void Decrypt_of_prekey_message_for_unknown_prekeys_is_invalid_key_id_and_stores_nothing()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var message = s.Alice.Encrypt(s.Bob, "first");
        var stranger = new Party("bob", s.Time, s.Bob.Identity);
        Assert.Throws<InvalidKeyIdException>(() => stranger.Decrypt(s.Alice, message));
        Assert.Null(stranger.RecordBytes(s.Alice));
    }

    private static void AssertFailsAndChangesNothing<TException>(Scenario s, int type, byte[] bytes)
        where TException : ProtocolException
    {
        var before = s.Alice.RecordBytes(s.Bob);
        var identity = s.Alice.Store.GetIdentity(s.Bob.Address);
        Assert.Throws<TException>(() => s.Alice.Decrypt(s.Bob, type, bytes));
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
        Assert.Equal(identity, s.Alice.Store.GetIdentity(s.Bob.Address));
    }
}
