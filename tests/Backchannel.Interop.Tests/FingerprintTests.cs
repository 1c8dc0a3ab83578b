using System.Security.Cryptography;
using System.Text;
using Backchannel.Interop.Tests.Harness;

namespace Backchannel.Interop.Tests;

/// <summary>Scenario 12: both sides compute the same safety number, and scannable codes that cross (LIBSIGNAL-FACTS §4.12).</summary>
public sealed class FingerprintTests(PeerPool pool) : InteropTest(pool)
{
    /// <summary>
    /// Pairings with the newest libsignal. It refuses a 1:1 session with a peer without SPQR, and its <c>trust</c>
    /// records no identity, so each side learns the other's identity key by processing the other's bundle.
    /// </summary>
    public static TheoryData<PeerKind, PeerKind> WithLatest => new()
    {
        { PeerKind.Dotnet, PeerKind.LibsignalLatest },
        { PeerKind.LibsignalLatest, PeerKind.Dotnet },
        { PeerKind.LibsignalLatest, PeerKind.LibsignalLatest },
    };

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public Task Safety_numbers_agree_on_both_sides_in_every_pairing(PeerKind initiator, PeerKind responder) =>
        CompareAsync(initiator, responder, iterations: null, version: null);

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public Task Safety_numbers_with_1024_iterations_and_version_1_agree_on_both_sides_in_every_pairing(PeerKind initiator, PeerKind responder) =>
        CompareAsync(initiator, responder, iterations: 1024, version: 1);

    [Theory]
    [MemberData(nameof(Pairings.All), MemberType = typeof(Pairings))]
    public async Task Fingerprint_without_a_known_peer_identity_is_no_session_in_every_pairing(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await Expect.ErrorAsync(alice.TryFingerprintAsync(bob), "NoSession", "fingerprint before anything is known of the peer");
        await Expect.ErrorAsync(bob.TryFingerprintAsync(alice), "NoSession", "fingerprint before anything is known of the peer");
    }

    [Theory]
    [MemberData(nameof(WithLatest))]
    public async Task Safety_numbers_agree_with_the_newest_libsignal_once_each_side_processed_the_others_bundle(PeerKind initiator, PeerKind responder)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await Expect.ErrorAsync(alice.TryFingerprintAsync(bob), "NoSession", "fingerprint before anything is known of the peer");
        await alice.StartSessionWithAsync(bob);
        await bob.StartSessionWithAsync(alice);

        await CompareAsync(alice, bob, iterations: null, version: null);
        await CompareAsync(alice, bob, iterations: 1024, version: 1);
    }

    private async Task CompareAsync(PeerKind initiator, PeerKind responder, int? iterations, int? version)
    {
        var (alice, bob) = await PartiesAsync(initiator, responder);
        await EstablishAsync(alice, bob);
        await CompareAsync(alice, bob, iterations, version);
    }

    private static async Task CompareAsync(Party alice, Party bob, int? iterations, int? version)
    {
        var ofAlice = (await alice.TryFingerprintAsync(bob, iterations, version)).EnsureOk();
        var ofBob = (await bob.TryFingerprintAsync(alice, iterations, version)).EnsureOk();
        var aliceNumber = ofAlice.String("displayable");
        var bobNumber = ofBob.String("displayable");

        Assert.Matches("^[0-9]{60}$", aliceNumber);
        Assert.Equal(aliceNumber, bobNumber);
        var expected = Displayable(alice, bob, iterations ?? 5200);
        Assert.True(expected == aliceNumber, $"safety number {aliceNumber} differs from the one computed from LIBSIGNAL-FACTS §4.12: {expected}");

        var aliceCode = Scannable.Parse(ofAlice.Bytes("scannable"));
        var bobCode = Scannable.Parse(ofBob.Bytes("scannable"));
        Assert.Equal((ulong)(version ?? 2), aliceCode.Version);
        Assert.Equal(aliceCode.Version, bobCode.Version);
        Assert.Equal(32, aliceCode.Local.Length);
        Assert.Equal(32, aliceCode.Remote.Length);
        Assert.Equal(aliceCode.Local, bobCode.Remote);
        Assert.Equal(aliceCode.Remote, bobCode.Local);
        Assert.Equal(Hash(alice, iterations ?? 5200)[..32], aliceCode.Local);
        Assert.Equal(Hash(bob, iterations ?? 5200)[..32], aliceCode.Remote);
    }

    /// <summary>h₀ = SHA-512(0x0000 ‖ key ‖ stable id ‖ key), then h = SHA-512(h ‖ key), <paramref name="iterations"/> hashes in all.</summary>
    private static byte[] Hash(Party party, int iterations)
    {
        var key = party.IdentityKey;
        var hash = SHA512.HashData([0, 0, .. key, .. Encoding.UTF8.GetBytes(party.Name), .. key]);
        for (var i = 1; i < iterations; i++)
        {
            hash = SHA512.HashData([.. hash, .. key]);
        }

        return hash;
    }

    private static string Displayable(Party a, Party b, int iterations)
    {
        var first = Digits(Hash(a, iterations));
        var second = Digits(Hash(b, iterations));
        return string.CompareOrdinal(first, second) <= 0 ? first + second : second + first;

        static string Digits(byte[] hash)
        {
            var text = new StringBuilder(30);
            for (var chunk = 0; chunk < 6; chunk++)
            {
                ulong value = 0;
                for (var i = 0; i < 5; i++)
                {
                    value = (value << 8) | hash[(chunk * 5) + i];
                }

                text.Append((value % 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }
    }

    /// <summary>CombinedFingerprints { 1 version, 2 local { 1 content }, 3 remote { 1 content } }.</summary>
    private sealed record Scannable(ulong Version, byte[] Local, byte[] Remote)
    {
        public static Scannable Parse(byte[] bytes)
        {
            var version = Protobuf.FindVarintField(bytes, 1) ?? 0;
            var (localAt, localLength) = Protobuf.FindBytesField(bytes, 2);
            var (remoteAt, remoteLength) = Protobuf.FindBytesField(bytes, 3);
            return new Scannable(version, Content(bytes.AsSpan(localAt, localLength)), Content(bytes.AsSpan(remoteAt, remoteLength)));

            static byte[] Content(ReadOnlySpan<byte> fingerprint)
            {
                var (at, length) = Protobuf.FindBytesField(fingerprint, 1);
                return fingerprint.Slice(at, length).ToArray();
            }
        }
    }
}
