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

    [Theory]
    [MemberData(nameof(XEdDsaRows), MemberType = typeof(LibsignalVectors))]
    public void Signing_with_its_own_public_key_verifies_on_first_and_remembered_use(XEdDsaVector v)
    {
        // The vectors cover both sign bits of A, so the remembered A carries the right one either way.
        using var key = ECPrivateKey.Deserialize(Hex(v.PrivateKey));
        var publicKey = ECPublicKey.Deserialize(Hex(v.PublicKey));
        for (var i = 0; i < 3; i++)
        {
            var signature = key.Sign(Hex(v.Message), publicKey);
            Assert.True(publicKey.VerifySignature(Hex(v.Message), signature), $"signature {i}");
            Assert.Equal(Hex(v.Signature)[63] & 0x80, signature[63] & 0x80);
        }
    }

    [Fact]
    public void A_private_key_given_a_public_key_not_its_own_signs_as_itself_and_remembers_nothing()
    {
        using var mine = ECPrivateKey.Generate();
        using var other = ECPrivateKey.Generate();
        var myPublic = mine.PublicKey();
        var otherPublic = other.PublicKey();
        for (var i = 0; i < 2; i++)
        {
            var signature = mine.Sign("m"u8, otherPublic);
            Assert.True(myPublic.VerifySignature("m"u8, signature));
            Assert.False(otherPublic.VerifySignature("m"u8, signature));
        }
        // The mismatched pair left nothing behind: the real owner of that public key still signs under it.
        Assert.True(otherPublic.VerifySignature("m"u8, other.Sign("m"u8, otherPublic)));
        Assert.True(otherPublic.VerifySignature("m"u8, other.Sign("m"u8, otherPublic)));
    }

    [Fact]
    public void A_remembered_verifying_key_accepts_only_its_own_signatures()
    {
        using var alice = ECPrivateKey.Generate();
        using var mallory = ECPrivateKey.Generate();
        var alicePublic = alice.PublicKey();
        Assert.True(alicePublic.VerifySignature("m"u8, alice.Sign("m"u8)));
        Assert.True(alicePublic.VerifySignature("m"u8, alice.Sign("m"u8)));
        Assert.False(alicePublic.VerifySignature("m"u8, mallory.Sign("m"u8)));
        Assert.False(alicePublic.VerifySignature("n"u8, alice.Sign("m"u8)));
        Assert.True(mallory.PublicKey().VerifySignature("m"u8, mallory.Sign("m"u8, mallory.PublicKey())));
    }

    [Fact]
    public void Memo_slots_hold_one_key_each_and_a_newer_key_replaces_the_older()
    {
        var memo = new PublicKeyMemo(1);
        var first = Enumerable.Repeat((byte)1, 32).ToArray();
        var second = Enumerable.Repeat((byte)2, 32).ToArray();
        Span<byte> value = stackalloc byte[32];
        Assert.False(memo.TryGet(first, value));
        memo.Set(first, second);
        Assert.True(memo.TryGet(first, value));
        Assert.Equal(second, value.ToArray());
        memo.Set(second, first);
        Assert.False(memo.TryGet(first, value));
        Assert.True(memo.TryGet(second, value));
        Assert.Equal(first, value.ToArray());
        Assert.Throws<ArgumentException>(() => memo.Set(first, new byte[31]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PublicKeyMemo(3));
    }
}
