using Backchannel.Protocol.Messages;
using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests.Messages;

/// <summary>Wire layouts of FACTS §4.6, read from libsignal's bytes and from ours.</summary>
public sealed class MessageParsingTests
{
    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_prekey_message_parses_into_the_recorded_fields(PreKeyMessageVector v)
    {
        var bytes = Hex(v.Messages[0].Ciphertext);
        var message = PreKeySignalMessage.Parse(bytes);
        Assert.Equal(4, message.Version);
        Assert.Equal(v.AliceRegistrationId, message.RegistrationId);
        Assert.Equal(v.PreKeyId, message.PreKeyId);
        Assert.Equal(v.SignedPreKeyId, message.SignedPreKeyId);
        Assert.Equal(v.KyberPreKeyId, message.KyberPreKeyId);
        Assert.Equal(1 + 1568, message.KyberCiphertext.Length);
        Assert.Equal(v.AliceIdentityKey, Convert.ToHexStringLower(message.IdentityKey.Serialize()));
        Assert.Equal(bytes, message.Serialized.ToArray());
        Assert.True(message.BaseKey.IsCanonical());
    }

    [Theory]
    [MemberData(nameof(PreKeyMessageRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_inner_message_carries_a_pq_ratchet_field_that_is_kept_for_the_mac(PreKeyMessageVector v)
    {
        // 0.90.0 sends SPQR's field 5; we ignore it but must MAC over it, which the decrypt tests prove.
        var inner = PreKeySignalMessage.Parse(Hex(v.Messages[0].Ciphertext)).Message;
        Assert.NotNull(inner.PqRatchet);
        Assert.NotEmpty(inner.PqRatchet);
        Assert.Equal(0u, inner.Counter);
        Assert.Equal(0x44, inner.Serialized[0]);
    }

    [Fact]
    public void Our_prekey_message_round_trips_through_the_parser()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        s.Alice.Process(s.Bob, bundle);
        var bytes = s.Alice.Encrypt(s.Bob, "x").Serialize();
        var message = PreKeySignalMessage.Parse(bytes);
        Assert.Equal(s.Alice.RegistrationId, message.RegistrationId);
        Assert.Equal(bundle.PreKeyId, message.PreKeyId);
        Assert.Equal(bundle.SignedPreKeyId, message.SignedPreKeyId);
        Assert.Equal(bundle.KyberPreKeyId, message.KyberPreKeyId);
        Assert.Equal(s.Alice.Identity.PublicKey, message.IdentityKey);
        Assert.Null(message.Message.PqRatchet);
        Assert.Equal(bytes, message.Serialized.ToArray());
    }

    [Fact]
    public void Prekey_message_without_the_kyber_part_is_refused()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var bytes = s.Alice.Encrypt(s.Bob, "x").Serialize();
        // Drop field 8 (the Kyber ciphertext, written last: tag 0x42, length 1569 as a 2-byte varint).
        var withoutKyber = bytes[..^(1 + 2 + 1569)];
        Assert.Equal(0x42, bytes[^(1 + 2 + 1569)]);
        Assert.Throws<InvalidMessageException>(() => PreKeySignalMessage.Parse(withoutKyber));
        var x3dh = (byte[])bytes.Clone();
        x3dh[0] = 0x33;
        Assert.Throws<InvalidMessageException>(() => PreKeySignalMessage.Parse(x3dh));
    }

    [Theory]
    [InlineData("")]
    [InlineData("44")]
    [InlineData("4400000000000000")]
    [InlineData("440000000000000000")]
    public void Too_short_or_empty_signal_messages_are_refused(string hex)
    {
        Assert.Throws<InvalidMessageException>(() => SignalMessage.Parse(Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData(0x04)]
    [InlineData(0x24)]
    public void Legacy_versions_are_their_own_exception(byte versionByte)
    {
        Assert.Throws<LegacyCiphertextVersionException>(() => SignalMessage.Parse([versionByte, .. new byte[20]]));
        Assert.Throws<LegacyCiphertextVersionException>(() => PreKeySignalMessage.Parse([versionByte, .. new byte[20]]));
    }
}
