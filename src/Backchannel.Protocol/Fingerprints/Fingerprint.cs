using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol;

/// <summary>
/// Safety numbers as libsignal computes them (FACTS §4.12): per party, iterated SHA-512 over the identity key
/// and a stable id; a 60-digit displayable form and a scannable protobuf form.
/// </summary>
public sealed class Fingerprint
{
    // The fingerprint format version hashed first (two bytes, zero), FACTS §4.12.
    private static ReadOnlySpan<byte> FormatVersion => [0x00, 0x00];

    private const int MinIterations = 2;
    private const int MaxIterations = 1_000_000;

    private Fingerprint(string displayable, byte[] scannable)
    {
        Displayable = displayable;
        Scannable = scannable;
    }

    /// <summary>The 60-digit safety number: both parties' 30 digits, the smaller string first.</summary>
    public string Displayable { get; }

    /// <summary>The scannable form: protobuf CombinedFingerprints {1 version, 2 local {1 content}, 3 remote {1 content}}.</summary>
    public byte[] Scannable { get; }

    /// <summary>Computes the fingerprint of a pair of identities. Apps use 5200 iterations.</summary>
    public static Fingerprint Create(int iterations, int version, ReadOnlySpan<byte> localId, IdentityKey localKey,
        ReadOnlySpan<byte> remoteId, IdentityKey remoteKey)
    {
        ArgumentNullException.ThrowIfNull(localKey);
        ArgumentNullException.ThrowIfNull(remoteKey);
        if (iterations is < MinIterations or > MaxIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), "iterations must be in 2..1,000,000");
        }
        var local = Hash(iterations, localId, localKey);
        var remote = Hash(iterations, remoteId, remoteKey);
        var localDigits = Digits(local);
        var remoteDigits = Digits(remote);
        var displayable = string.CompareOrdinal(localDigits, remoteDigits) <= 0 ? localDigits + remoteDigits : remoteDigits + localDigits;

        var w = new ProtoWriter(90);
        w.WriteUInt32(1, (uint)version);
        var l = new ProtoWriter(40);
        l.WriteBytes(1, local.AsSpan(0, 32));
        w.WriteMessage(2, l);
        var r = new ProtoWriter(40);
        r.WriteBytes(1, remote.AsSpan(0, 32));
        w.WriteMessage(3, r);
        return new Fingerprint(displayable, w.ToArray());
    }

    /// <summary>
    /// Compares our scannable form with the one scanned from the peer: versions must match and each side's
    /// local part must equal the other's remote part. False for anything unparsable.
    /// </summary>
    public bool CompareScannable(ReadOnlySpan<byte> theirs)
    {
        try
        {
            var (ourVersion, ourLocal, ourRemote) = ParseScannable(Scannable);
            var (theirVersion, theirLocal, theirRemote) = ParseScannable(theirs);
            return ourVersion == theirVersion
                && CryptographicOperations.FixedTimeEquals(ourLocal, theirRemote)
                && CryptographicOperations.FixedTimeEquals(ourRemote, theirLocal);
        }
        catch (InvalidMessageException)
        {
            return false;
        }
    }

    private static (uint, byte[], byte[]) ParseScannable(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        uint version = 0;
        byte[]? local = null, remote = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: version = reader.ReadUInt32(wire); break;
                case 2: local = Content(reader.ReadBytesSpan(wire)); break;
                case 3: remote = Content(reader.ReadBytesSpan(wire)); break;
                default: reader.Skip(wire); break;
            }
        }
        if (local is null || remote is null)
        {
            throw new InvalidMessageException("incomplete scannable fingerprint");
        }
        return (version, local, remote);
    }

    private static byte[] Content(ReadOnlySpan<byte> logical)
    {
        var reader = new ProtoReader(logical);
        byte[]? content = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (field == 1)
            {
                content = reader.ReadBytes(wire);
            }
            else
            {
                reader.Skip(wire);
            }
        }
        return content ?? throw new InvalidMessageException("empty fingerprint part");
    }

    // h0 = SHA-512(version ‖ key ‖ id ‖ key), then h = SHA-512(h ‖ key), "iterations" hashes in all.
    private static byte[] Hash(int iterations, ReadOnlySpan<byte> stableId, IdentityKey key)
    {
        var keyBytes = key.Serialized;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var hash = new byte[64];
        sha.AppendData(FormatVersion);
        sha.AppendData(keyBytes);
        sha.AppendData(stableId);
        sha.AppendData(keyBytes);
        sha.GetHashAndReset(hash);
        // The loop runs thousands of times: libsodium's one-shot SHA-512 (through NSec) over a stack buffer
        // (hash ‖ key) costs about half of an OpenSSL digest call per round on this short input.
        var sha512 = NSec.Cryptography.HashAlgorithm.Sha512;
        Span<byte> input = stackalloc byte[hash.Length + keyBytes.Length];
        keyBytes.CopyTo(input[hash.Length..]);
        for (var i = 1; i < iterations; i++)
        {
            hash.CopyTo(input);
            sha512.Hash(input, hash);
        }
        return hash;
    }

    // Six 5-byte big-endian chunks of the first 30 bytes, each mod 100,000, as 5 digits.
    private static string Digits(byte[] hash)
    {
        var builder = new System.Text.StringBuilder(30);
        for (var i = 0; i < 30; i += 5)
        {
            ulong chunk = 0;
            for (var j = 0; j < 5; j++)
            {
                chunk = (chunk << 8) | hash[i + j];
            }
            builder.Append((chunk % 100_000).ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => nameof(Fingerprint);
}
