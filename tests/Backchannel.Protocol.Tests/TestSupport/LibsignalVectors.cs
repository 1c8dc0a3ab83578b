using System.Text.Json;

namespace Backchannel.Protocol.Tests.TestSupport;

/// <summary>
/// Known answers made by libsignal-client 0.90.0 with Vectors/make-vectors.mjs, embedded so that tests need no
/// node. Rows are exposed as xunit data (one row per vector).
/// </summary>
public static class LibsignalVectors
{
    private static readonly Lazy<Root> Data = new(Load);

    internal static Root All => Data.Value;

    private static Root Load()
    {
        using var stream = typeof(LibsignalVectors).Assembly.GetManifestResourceStream("libsignal-0.90.0.json")
            ?? throw new InvalidOperationException("embedded vectors missing");
        return JsonSerializer.Deserialize<Root>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidOperationException("empty vectors");
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public sealed record Root(
        string Libsignal,
        XEdDsaVector[] XEdDsa,
        KemKeyPairVector[] KemKeyPairs,
        PreKeyMessageVector[] PreKeyMessages,
        FingerprintVector[] Fingerprints,
        IdentityKeyPairVector[] IdentityKeyPairs);

    public sealed record XEdDsaVector(string PrivateKey, string PublicKey, string Message, string Signature)
    {
        public override string ToString() => $"sig {Signature[..16]}…";
    }

    public sealed record KemKeyPairVector(string PublicKey, string SecretKey);

    public sealed record FingerprintVector(
        int Iterations, int Version, string LocalId, string LocalKey, string RemoteId, string RemoteKey, string Displayable, string Scannable)
    {
        public override string ToString() => $"{Iterations} iterations, version {Version}";
    }

    public sealed record IdentityKeyPairVector(string Serialized, string PublicKey, string PrivateKey);

    public sealed record PreKeyMessageVector(
        string AliceIdentityKey,
        uint AliceRegistrationId,
        string BobIdentityKeyPair,
        uint BobRegistrationId,
        uint SignedPreKeyId,
        string SignedPreKeyPrivate,
        string SignedPreKeyPublic,
        string SignedPreKeySignature,
        uint KyberPreKeyId,
        string KyberPreKeyPublic,
        string KyberPreKeySecret,
        string KyberPreKeySignature,
        uint? PreKeyId,
        string? PreKeyPrivate,
        string? PreKeyPublic,
        MessageVector[] Messages)
    {
        public override string ToString() => PreKeyId is null ? "without one-time prekey" : "with one-time prekey";
    }

    public sealed record MessageVector(int Type, string Ciphertext, string Plaintext);

    public static TheoryData<XEdDsaVector> XEdDsaRows => Rows(All.XEdDsa);

    public static TheoryData<FingerprintVector> FingerprintRows => Rows(All.Fingerprints);

    public static TheoryData<PreKeyMessageVector> PreKeyMessageRows => Rows(All.PreKeyMessages);

    public static TheoryData<KemKeyPairVector> KemKeyPairRows => Rows(All.KemKeyPairs);

    public static TheoryData<IdentityKeyPairVector> IdentityKeyPairRows => Rows(All.IdentityKeyPairs);

    private static TheoryData<T> Rows<T>(IEnumerable<T> items)
    {
        var data = new TheoryData<T>();
        foreach (var item in items)
        {
            data.Add(item);
        }
        return data;
    }
}
