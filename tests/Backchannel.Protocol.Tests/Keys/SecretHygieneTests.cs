using Backchannel.Protocol.Ratchet;
using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests.Keys;

/// <summary>
/// Secret-bearing types print only their type name and zero their bytes on dispose (STYLE.md convention 5).
/// The ToString pins are exact so that a future "helpful" override that shows key bytes fails here.
/// </summary>
public sealed class SecretHygieneTests
{
    [Fact]
    public void ToString_of_every_secret_bearing_type_prints_only_its_name()
    {
        var s = Scenario.Established();
        using var identity = IdentityKeyPair.Generate();
        using var pair = ECKeyPair.Generate();
        using var kyber = KyberKeyPair.Generate();
        using var preKey = KeyHelper.GeneratePreKeys(1, 1)[0];
        using var signed = KeyHelper.GenerateSignedPreKey(identity, 1, 0);
        using var kyberPreKey = KeyHelper.GenerateKyberPreKey(identity, 1, 0);
        using var keys = MessageKeys.FromSeed(new byte[32], 0);
        var record = s.Alice.Record(s.Bob);

        var pins = new (object Value, string Expected)[]
        {
            (pair.PrivateKey, "ECPrivateKey"),
            (pair, "ECKeyPair"),
            (identity, "IdentityKeyPair"),
            (kyber, "KyberKeyPair"),
            (preKey, "PreKeyRecord"),
            (signed, "SignedPreKeyRecord"),
            (kyberPreKey, "KyberPreKeyRecord"),
            (keys, "MessageKeys"),
            (record, "SessionRecord"),
            (record.Current!, "SessionState"),
            (record.Current!.ReceiverChains[0], "ReceiverChain"),
            // Public halves too: they are not secret, but they must not grow a habit of printing bytes.
            (pair.PublicKey, "ECPublicKey"),
            (identity.PublicKey, "IdentityKey"),
            (kyber.PublicKey, "KyberPublicKey"),
        };
        foreach (var (value, expected) in pins)
        {
            Assert.Equal(expected, value.ToString());
        }
    }

    [Fact]
    public void Disposed_private_key_serializes_as_zeros()
    {
        var key = ECPrivateKey.Generate();
        Assert.Contains(key.Serialize(), b => b != 0);
        key.Dispose();
        Assert.Equal(new byte[32], key.Serialize());
    }

    [Fact]
    public void Disposing_key_pairs_and_records_zeroes_their_private_halves()
    {
        var identity = IdentityKeyPair.Generate();
        var pair = ECKeyPair.Generate();
        var preKey = KeyHelper.GeneratePreKeys(1, 1)[0];
        var signed = KeyHelper.GenerateSignedPreKey(identity, 1, 0);
        identity.Dispose();
        pair.Dispose();
        preKey.Dispose();
        signed.Dispose();
        Assert.Equal(new byte[32], identity.PrivateKey.Serialize());
        Assert.Equal(new byte[32], pair.PrivateKey.Serialize());
        Assert.Equal(new byte[32], preKey.KeyPair.PrivateKey.Serialize());
        Assert.Equal(new byte[32], signed.KeyPair.PrivateKey.Serialize());
    }

    [Fact]
    public void Disposing_kyber_pairs_and_records_zeroes_the_secret_key()
    {
        using var identity = IdentityKeyPair.Generate();
        var kyber = KyberKeyPair.Generate();
        var record = KeyHelper.GenerateKyberPreKey(identity, 1, 0);
        kyber.Dispose();
        record.Dispose();
        var zeroed = new byte[1 + 3168];
        zeroed[0] = KyberPublicKey.Kyber1024Type;
        Assert.Equal(zeroed, kyber.SerializeSecretKey());
        Assert.Equal(zeroed, record.KeyPair.SerializeSecretKey());
    }

    [Fact]
    public void Disposed_message_keys_are_zeroed()
    {
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var keys = MessageKeys.FromSeed(seed, 3);
        Assert.Contains(keys.CipherKey.ToArray(), b => b != 0);
        keys.Dispose();
        Assert.Equal(new byte[32], keys.CipherKey.ToArray());
        Assert.Equal(new byte[32], keys.MacKey.ToArray());
        Assert.Equal(new byte[16], keys.Iv.ToArray());
    }

    [Fact]
    public void Exception_messages_carry_no_plaintext_or_key_material()
    {
        var s = Scenario.Established();
        var bytes = s.Bob.Encrypt(s.Alice, "top secret plaintext").Serialize();
        var e = Assert.Throws<InvalidMessageException>(() => s.Alice.Decrypt(s.Bob, CiphertextMessage.WhisperType, Tamper.Flip(bytes, bytes.Length - 1)));
        Assert.DoesNotContain("secret", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(s.Alice.Identity.PrivateKey.Serialize()), e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
