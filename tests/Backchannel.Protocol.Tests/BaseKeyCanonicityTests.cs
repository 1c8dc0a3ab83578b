using System.Numerics;
using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>
/// Received base keys must be canonical: high bit clear, u &lt; p and torsion-free (libsignal since v0.80.1,
/// FACTS §4.1). Clamped X25519 scalars are multiples of 8, so P and P + T (T of small order) give the same DH
/// outputs: without these checks one PreKey message has several "different" base keys that all decrypt, which
/// defeats matching by base key and the last-resort Kyber replay check.
/// </summary>
public sealed class BaseKeyCanonicityTests
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;

    private const string PlusOrderTwo = "plus the point of order 2 (u becomes 1/u)";
    private const string HighBit = "high bit set";
    private const string NotReduced = "u >= p";

    public static TheoryData<string> Tweaks => [PlusOrderTwo, HighBit, NotReduced];

    [Theory]
    [MemberData(nameof(Tweaks))]
    public void Prekey_message_replayed_with_a_tweaked_base_key_is_rejected(string tweak)
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: false, lastResortKyber: true);
        s.Alice.Process(s.Bob, bundle);
        var baseKey = s.Alice.Record(s.Bob).Current!.PendingPreKey!.BaseKey.Serialize();
        var original = s.Alice.Encrypt(s.Bob, "pay bob 100").Serialize();
        Assert.Equal("pay bob 100", s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, original));

        var replay = ReplaceBaseKey(original, baseKey, Tweak(baseKey.AsSpan(1), tweak));
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, replay));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));

        s.Bob.Store.DeleteSession(s.Alice.Address);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, replay));
        Assert.Null(s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void Torsion_tweaked_base_key_really_gives_the_same_shared_secret()
    {
        // The premise of the test above: DH with a clamped scalar cannot tell u from 1/u.
        using var ours = ECPrivateKey.Generate();
        using var theirs = ECPrivateKey.Generate();
        var u = theirs.PublicKey().Serialize();
        var tweaked = ECPublicKey.Deserialize([ECPublicKey.DjbType, .. Tweak(u.AsSpan(1), PlusOrderTwo)]);
        Assert.NotEqual(u, tweaked.Serialize());
        Assert.Equal(ours.Agree(ECPublicKey.Deserialize(u)), ours.Agree(tweaked));
    }

    [Fact]
    public void Honest_public_keys_are_canonical_and_their_aliases_are_not()
    {
        for (var i = 0; i < 200; i++)
        {
            using var key = ECPrivateKey.Generate();
            var pub = key.PublicKey();
            Assert.True(pub.IsCanonical());
            foreach (var tweak in new[] { PlusOrderTwo, HighBit, NotReduced })
            {
                Assert.False(ECPublicKey.Deserialize([ECPublicKey.DjbType, .. Tweak(pub.Serialize().AsSpan(1), tweak)]).IsCanonical(), tweak);
            }
        }
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")] // u = 0, small order
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")] // u = 1, small order
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")] // u = -1, no Edwards image
    [InlineData("0200000000000000000000000000000000000000000000000000000000000000")] // u = 2, on the twist
    public void Small_order_and_twist_points_are_not_canonical(string raw)
    {
        Assert.False(ECPublicKey.Deserialize([ECPublicKey.DjbType, .. Convert.FromHexString(raw)]).IsCanonical());
    }

    private static byte[] Tweak(ReadOnlySpan<byte> raw, string tweak)
    {
        var result = new byte[32];
        switch (tweak)
        {
            case PlusOrderTwo:
                // On a Montgomery curve x(P + (0,0)) = 1/x(P); (0,0) has order 2.
                var u = new BigInteger(raw, isUnsigned: true);
                BigInteger.ModPow(u, P - 2, P).TryWriteBytes(result, out _, isUnsigned: true);
                break;
            case HighBit:
                raw.CopyTo(result);
                result[31] |= 0x80;
                break;
            default:
                // A non-reduced encoding: honest keys have u < p, so this one cannot be an honest key's alias, but
                // the parser must still refuse it.
                (P + 1).TryWriteBytes(result, out _, isUnsigned: true);
                break;
        }
        return result;
    }

    private static byte[] ReplaceBaseKey(byte[] message, byte[] baseKey, byte[] newRaw)
    {
        var index = message.AsSpan().IndexOf(baseKey);
        Assert.True(index > 0);
        var copy = (byte[])message.Clone();
        newRaw.CopyTo(copy, index + 1);
        return copy;
    }
}
