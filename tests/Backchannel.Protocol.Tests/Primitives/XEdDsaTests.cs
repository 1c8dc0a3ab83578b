using Backchannel.Protocol.Primitives;
using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary>XEdDSA as libsignal deploys it (FACTS §4.2), checked against signatures libsignal 0.90.0 made.</summary>
public sealed class XEdDsaTests
{
    [Theory]
    [MemberData(nameof(XEdDsaRows), MemberType = typeof(LibsignalVectors))]
    public void Libsignal_signature_verifies(XEdDsaVector v)
    {
        var key = ECPublicKey.Deserialize(Hex(v.PublicKey));
        Assert.True(key.VerifySignature(Hex(v.Message), Hex(v.Signature)));
    }

    [Theory]
    [MemberData(nameof(XEdDsaRows), MemberType = typeof(LibsignalVectors))]
    public void Our_public_key_from_libsignal_private_key_matches(XEdDsaVector v)
    {
        using var key = ECPrivateKey.Deserialize(Hex(v.PrivateKey));
        Assert.Equal(v.PublicKey, Convert.ToHexStringLower(key.PublicKey().Serialize()));
        Assert.Equal(v.PrivateKey, Convert.ToHexStringLower(key.Serialize()));
    }

    [Theory]
    [MemberData(nameof(XEdDsaRows), MemberType = typeof(LibsignalVectors))]
    public void Any_flipped_bit_in_message_or_signature_fails(XEdDsaVector v)
    {
        var key = ECPublicKey.Deserialize(Hex(v.PublicKey));
        var message = Hex(v.Message);
        var signature = Hex(v.Signature);
        for (var bit = 0; bit < signature.Length * 8; bit++)
        {
            var flipped = (byte[])signature.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(key.VerifySignature(message, flipped), $"signature bit {bit}");
        }
        if (message.Length > 0)
        {
            var flipped = (byte[])message.Clone();
            flipped[message.Length / 2] ^= 0x10;
            Assert.False(key.VerifySignature(flipped, signature));
        }
        Assert.False(key.VerifySignature([.. message, 0x00], signature));
    }

    [Theory]
    [MemberData(nameof(XEdDsaRows), MemberType = typeof(LibsignalVectors))]
    public void Our_signature_with_libsignal_private_key_verifies(XEdDsaVector v)
    {
        using var key = ECPrivateKey.Deserialize(Hex(v.PrivateKey));
        var signature = key.Sign(Hex(v.Message));
        Assert.Equal(XEdDsa.SignatureLength, signature.Length);
        Assert.True(ECPublicKey.Deserialize(Hex(v.PublicKey)).VerifySignature(Hex(v.Message), signature));
    }

    [Fact]
    public void Vectors_cover_both_values_of_the_transported_sign_bit()
    {
        var withSignBit = All.XEdDsa.Count(v => (Hex(v.Signature)[63] & 0x80) != 0);
        Assert.InRange(withSignBit, 5, All.XEdDsa.Length - 5);
        Assert.Equal("0.90.0", All.Libsignal);
    }

    [Fact]
    public void Signature_of_wrong_length_is_rejected()
    {
        using var key = ECPrivateKey.Generate();
        var signature = key.Sign("m"u8);
        Assert.False(key.PublicKey().VerifySignature("m"u8, signature.AsSpan(0, 63)));
        Assert.False(key.PublicKey().VerifySignature("m"u8, [.. signature, 0]));
    }

    [Fact]
    public void Signatures_are_randomised_but_all_verify()
    {
        using var key = ECPrivateKey.Generate();
        var a = key.Sign("same message"u8);
        var b = key.Sign("same message"u8);
        Assert.NotEqual(a, b);
        Assert.True(key.PublicKey().VerifySignature("same message"u8, a));
        Assert.True(key.PublicKey().VerifySignature("same message"u8, b));
    }
}
