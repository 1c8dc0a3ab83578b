using Backchannel.Protocol.Tests.TestSupport;
using static Backchannel.Protocol.Tests.TestSupport.LibsignalVectors;

namespace Backchannel.Protocol.Tests.Fingerprints;

/// <summary>Safety numbers against libsignal 0.90.0's (FACTS §4.12), for 5200 and 1024 iterations.</summary>
public sealed class FingerprintTests
{
    [Theory]
    [MemberData(nameof(FingerprintRows), MemberType = typeof(LibsignalVectors))]
    public void Displayable_and_scannable_match_libsignal(FingerprintVector v)
    {
        var fp = Create(v);
        Assert.Equal(v.Displayable, fp.Displayable);
        Assert.Equal(60, fp.Displayable.Length);
        Assert.Equal(v.Scannable, Convert.ToHexStringLower(fp.Scannable));
    }

    [Theory]
    [MemberData(nameof(FingerprintRows), MemberType = typeof(LibsignalVectors))]
    public void Both_sides_see_the_same_number_and_their_scans_match(FingerprintVector v)
    {
        var ours = Create(v);
        var theirs = Fingerprint.Create(v.Iterations, v.Version, Hex(v.RemoteId), IdentityKey.Deserialize(Hex(v.RemoteKey)),
            Hex(v.LocalId), IdentityKey.Deserialize(Hex(v.LocalKey)));
        Assert.Equal(ours.Displayable, theirs.Displayable);
        Assert.True(ours.CompareScannable(theirs.Scannable));
        Assert.True(theirs.CompareScannable(ours.Scannable));
        Assert.False(ours.CompareScannable(ours.Scannable));
    }

    [Fact]
    public void Scan_of_a_different_version_or_identity_does_not_match()
    {
        var v = All.Fingerprints[0];
        var ours = Create(v);
        var otherVersion = Fingerprint.Create(v.Iterations, v.Version + 1, Hex(v.RemoteId), IdentityKey.Deserialize(Hex(v.RemoteKey)),
            Hex(v.LocalId), IdentityKey.Deserialize(Hex(v.LocalKey)));
        Assert.False(ours.CompareScannable(otherVersion.Scannable));
        using var stranger = IdentityKeyPair.Generate();
        var otherKey = Fingerprint.Create(v.Iterations, v.Version, Hex(v.RemoteId), stranger.PublicKey,
            Hex(v.LocalId), IdentityKey.Deserialize(Hex(v.LocalKey)));
        Assert.False(ours.CompareScannable(otherKey.Scannable));
        Assert.NotEqual(ours.Displayable, otherKey.Displayable);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public void Iterations_out_of_range_are_misuse(int iterations)
    {
        using var a = IdentityKeyPair.Generate();
        Assert.Throws<ArgumentOutOfRangeException>(() => Fingerprint.Create(iterations, 2, "a"u8, a.PublicKey, "b"u8, a.PublicKey));
    }

    [Fact]
    public void ToString_prints_only_the_type_name()
    {
        var fp = Create(All.Fingerprints[0]);
        Assert.Equal("Fingerprint", fp.ToString());
    }

    private static Fingerprint Create(FingerprintVector v) =>
        Fingerprint.Create(v.Iterations, v.Version, Hex(v.LocalId), IdentityKey.Deserialize(Hex(v.LocalKey)),
            Hex(v.RemoteId), IdentityKey.Deserialize(Hex(v.RemoteKey)));
}
