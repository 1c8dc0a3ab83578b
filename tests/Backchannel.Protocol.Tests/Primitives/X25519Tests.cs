using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary>RFC 7748 known answers through <see cref="Curve25519"/> and <see cref="ECPrivateKey"/>.</summary>
public sealed class X25519Tests
{
    // RFC 7748 §5.2: (scalar, input u-coordinate, output u-coordinate). X25519 clamps the scalar itself
    // (decodeScalar25519) and masks the top bit of u; libsignal and we also clamp on import, which is the same
    // operation, so both paths must give the RFC's output.
    public static TheoryData<string, string, string, string> Section52 => new()
    {
        {
            "RFC 7748 §5.2 vector 1",
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        },
        {
            "RFC 7748 §5.2 vector 2",
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
        },
    };

    [Theory]
    [MemberData(nameof(Section52))]
    public void Scalar_multiplication_matches_rfc7748_section_5_2(string section, string scalar, string u, string expected)
    {
        var output = new byte[32];
        Assert.True(Curve25519.TryAgree(Convert.FromHexString(scalar), Convert.FromHexString(u), output), section);
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Theory]
    [MemberData(nameof(Section52))]
    public void Imported_private_key_agrees_like_rfc7748_section_5_2(string section, string scalar, string u, string expected)
    {
        // The key-level API takes 0x05 ‖ u; the RFC's second u has its top bit set, which X25519 ignores.
        using var key = ECPrivateKey.Deserialize(Convert.FromHexString(scalar));
        var pub = ECPublicKey.Deserialize([ECPublicKey.DjbType, .. Convert.FromHexString(u)]);
        Assert.Equal(expected, Convert.ToHexStringLower(key.Agree(pub)));
        Assert.NotNull(section);
    }

    // RFC 7748 §5.2, iterated: k = u = 9; each round k, u = X25519(k, u), k.
    [Theory]
    [InlineData(1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    [InlineData(1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")]
    public void Iterated_scalar_multiplication_matches_rfc7748_section_5_2(int rounds, string expected)
    {
        var k = new byte[32];
        var u = new byte[32];
        k[0] = 9;
        u[0] = 9;
        var output = new byte[32];
        for (var i = 0; i < rounds; i++)
        {
            Assert.True(Curve25519.TryAgree(k, u, output));
            k.CopyTo(u, 0);
            output.CopyTo(k, 0);
        }
        Assert.Equal(expected, Convert.ToHexStringLower(k));
    }

    // RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string SharedSecret = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Theory]
    [InlineData("RFC 7748 §6.1 Alice", AlicePrivate, AlicePublic)]
    [InlineData("RFC 7748 §6.1 Bob", BobPrivate, BobPublic)]
    public void Public_key_from_private_key_matches_rfc7748_section_6_1(string section, string privateKey, string publicKey)
    {
        using var key = ECPrivateKey.Deserialize(Convert.FromHexString(privateKey));
        Assert.Equal("05" + publicKey, Convert.ToHexStringLower(key.PublicKey().Serialize()));
        Assert.Equal(publicKey, Convert.ToHexStringLower(Curve25519.PublicFromPrivate(key.Serialize())));
        Assert.NotNull(section);
    }

    [Theory]
    [InlineData("RFC 7748 §6.1 Alice with Bob's key", AlicePrivate, BobPublic)]
    [InlineData("RFC 7748 §6.1 Bob with Alice's key", BobPrivate, AlicePublic)]
    public void Diffie_hellman_matches_rfc7748_section_6_1(string section, string privateKey, string theirPublic)
    {
        using var key = ECPrivateKey.Deserialize(Convert.FromHexString(privateKey));
        var output = key.Agree(ECPublicKey.Deserialize(Convert.FromHexString("05" + theirPublic)));
        Assert.Equal(SharedSecret, Convert.ToHexStringLower(output));
        Assert.NotNull(section);
    }

    [Fact]
    public void Import_clamps_the_private_key_as_libsignal_does()
    {
        var raw = Convert.FromHexString(AlicePrivate);
        using var key = ECPrivateKey.Deserialize(raw);
        var imported = key.Serialize();
        Assert.Equal(raw[0] & 248, imported[0]);
        Assert.Equal((raw[31] & 127) | 64, imported[31]);
        Assert.Equal(raw[1..31], imported[1..31]);
    }

    [Fact]
    public void Agreement_with_a_small_order_point_is_rejected()
    {
        // u = 0 is a small-order point: X25519 yields all zeros, which libsignal refuses (FACTS §4.1).
        using var key = ECPrivateKey.Generate();
        var bytes = new byte[ECPublicKey.SerializedLength];
        bytes[0] = ECPublicKey.DjbType;
        var zero = ECPublicKey.Deserialize(bytes);
        Assert.Throws<InvalidKeyException>(() => key.Agree(zero));
    }
}
