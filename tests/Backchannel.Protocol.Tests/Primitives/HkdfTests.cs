using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary>RFC 5869 Appendix A known answers (the SHA-256 cases) through <see cref="Kdf.Hkdf"/>.</summary>
public sealed class HkdfTests
{
    public static TheoryData<string, string, string, string, string> Rfc5869 => new()
    {
        {
            "RFC 5869 A.1 basic",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        },
        {
            "RFC 5869 A.2 longer inputs and outputs",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
                + "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
            "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f"
                + "909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
            "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                + "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09"
                + "da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
        },
        {
            "RFC 5869 A.3 zero-length salt and info",
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "",
            "",
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc5869))]
    public void Hkdf_matches_rfc5869_appendix_a(string section, string ikm, string salt, string info, string okm)
    {
        var output = new byte[okm.Length / 2];
        Kdf.Hkdf(Convert.FromHexString(ikm), Convert.FromHexString(salt), Convert.FromHexString(info), output);
        Assert.Equal(okm, Convert.ToHexStringLower(output));
        Assert.NotNull(section);
    }

    [Fact]
    public void Empty_salt_means_32_zero_bytes()
    {
        var ikm = "input keying material"u8.ToArray();
        var noSalt = new byte[48];
        var zeroSalt = new byte[48];
        Kdf.Hkdf(ikm, [], "info"u8, noSalt);
        Kdf.Hkdf(ikm, new byte[32], "info"u8, zeroSalt);
        Assert.Equal(zeroSalt, noSalt);
    }
}
