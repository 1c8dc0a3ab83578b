using Backchannel.Protocol.Primitives;
using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary>
/// Kyber1024 round 3 with libsignal's key layout (FACTS §3.3). libsignal-client's Node API does not expose
/// encapsulation, so libsignal's KEM is checked here through its key pairs and end to end in
/// <see cref="LibsignalPreKeyMessageTests"/>.
/// </summary>
public sealed class Kyber1024Tests
{
    [Theory]
    [MemberData(nameof(KemKeyPairRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_key_pair_imports_and_round_trips(KemKeyPairVector v)
    {
        var pub = Hex(v.PublicKey);
        var secret = Hex(v.SecretKey);
        Assert.Equal(KyberPublicKey.SerializedLength, pub.Length);
        Assert.Equal(1 + Kyber1024.SecretKeyLength, secret.Length);
        using var pair = KyberKeyPair.FromSerialized(pub, secret);
        Assert.Equal(pub, pair.PublicKey.Serialize());
        Assert.Equal(secret, pair.SerializeSecretKey());
    }

    [Theory]
    [MemberData(nameof(KemKeyPairRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_secret_key_embeds_its_public_key_as_round_3_lays_it_out(KemKeyPairVector v)
    {
        // sk = ŝ (1536) ‖ pk (1568) ‖ H(pk) (32) ‖ z (32).
        var pub = Hex(v.PublicKey)[1..];
        var secret = Hex(v.SecretKey)[1..];
        Assert.Equal(pub, secret[1536..(1536 + 1568)]);
        Assert.Equal(System.Security.Cryptography.SHA3_256.HashData(pub), secret[3104..3136]);
    }

    [Theory]
    [MemberData(nameof(KemKeyPairRows), MemberType = typeof(LibsignalVectors))]
    public void Encapsulation_to_a_libsignal_key_decapsulates_with_its_secret_key(KemKeyPairVector v)
    {
        using var pair = KyberKeyPair.FromSerialized(Hex(v.PublicKey), Hex(v.SecretKey));
        var (ciphertext, shared) = pair.PublicKey.Encapsulate();
        Assert.Equal(1 + Kyber1024.CiphertextLength, ciphertext.Length);
        Assert.Equal(KyberPublicKey.Kyber1024Type, ciphertext[0]);
        Assert.Equal(shared, pair.Decapsulate(ciphertext));
    }

    [Fact]
    public void Shared_secret_is_the_round_3_kdf_not_the_fips_203_secret()
    {
        // A tampered ciphertext decapsulates (implicit rejection) to a different, unpredictable secret.
        using var pair = KyberKeyPair.Generate();
        var (ciphertext, shared) = pair.PublicKey.Encapsulate();
        Assert.Equal(Kyber1024.SharedSecretLength, shared.Length);
        ciphertext[100] ^= 1;
        Assert.NotEqual(shared, pair.Decapsulate(ciphertext));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1568)]
    [InlineData(1570)]
    public void Ciphertext_of_wrong_length_is_an_invalid_message(int length)
    {
        using var pair = KyberKeyPair.Generate();
        var ciphertext = new byte[length];
        if (length > 0)
        {
            ciphertext[0] = KyberPublicKey.Kyber1024Type;
        }
        Assert.Throws<InvalidMessageException>(() => pair.Decapsulate(ciphertext));
    }

    [Fact]
    public void Ciphertext_with_wrong_type_byte_is_an_invalid_message()
    {
        using var pair = KyberKeyPair.Generate();
        var (ciphertext, _) = pair.PublicKey.Encapsulate();
        ciphertext[0] = 0x0A;
        Assert.Throws<InvalidMessageException>(() => pair.Decapsulate(ciphertext));
    }
}
