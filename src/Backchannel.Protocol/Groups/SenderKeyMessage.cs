using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Groups;

/// <summary>
/// SenderKeyMessage (type 7): 0x33 ‖ protobuf {1 distribution_uuid, 2 chain_id, 3 iteration, 4 ciphertext} ‖
/// XEdDSA signature (64 B) by the sender's signing key over everything before it (FACTS §4.10).
/// </summary>
internal sealed class SenderKeyMessage
{
    private const int SignatureLength = 64;
    private const int DistributionIdLength = 16;

    private readonly byte[] _serialized;
    private readonly int _ciphertextOffset;
    private readonly int _ciphertextLength;

    private SenderKeyMessage(byte[] serialized, Guid distributionId, uint chainId, uint iteration, int ciphertextOffset, int ciphertextLength)
    {
        _serialized = serialized;
        DistributionId = distributionId;
        ChainId = chainId;
        Iteration = iteration;
        _ciphertextOffset = ciphertextOffset;
        _ciphertextLength = ciphertextLength;
    }

    internal Guid DistributionId { get; }

    internal uint ChainId { get; }

    internal uint Iteration { get; }

    /// <summary>The AES-CBC body: a slice of the message's own bytes, not a copy.</summary>
    internal ReadOnlySpan<byte> Ciphertext => _serialized.AsSpan(_ciphertextOffset, _ciphertextLength);

    internal byte[] Serialized => _serialized;

    /// <summary>
    /// Builds the message in its final array: the body is encrypted with the key of <paramref name="seed"/> straight
    /// into its field, then everything before the signature is signed by the chain's key.
    /// </summary>
    internal static byte[] Encrypt(Guid distributionId, uint chainId, uint iteration, ReadOnlySpan<byte> seed,
        ReadOnlySpan<byte> plaintext, ECPrivateKey signingKey, ECPublicKey signingPublicKey)
    {
        var ciphertextLength = AesCbc.CiphertextLength(plaintext.Length);
        var body = ProtoSize.Bytes(1, DistributionIdLength) + ProtoSize.UInt32(2, chainId) + ProtoSize.UInt32(3, iteration)
            + ProtoSize.Bytes(4, ciphertextLength);
        var serialized = new byte[1 + body + SignatureLength];
        var w = new ProtoSpanWriter(serialized);
        w.WriteByte(Constants.SenderKeyVersionByte);
        Span<byte> id = stackalloc byte[DistributionIdLength];
        distributionId.TryWriteBytes(id, bigEndian: true, out _);
        w.WriteBytes(1, id);
        w.WriteUInt32(2, chainId);
        w.WriteUInt32(3, iteration);
        SenderMessageKey.Encrypt(seed, plaintext, w.ReserveBytes(4, ciphertextLength));
        var signature = signingKey.Sign(w.WrittenSpan, signingPublicKey);
        signature.CopyTo(w.Reserve(SignatureLength));
        return serialized;
    }

    internal static SenderKeyMessage Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 + SignatureLength)
        {
            throw new InvalidMessageException("SenderKeyMessage too short");
        }
        SenderKeyMessageVersion.Check(bytes[0]);
        var copy = bytes.ToArray();
        var r = new ProtoReader(copy.AsSpan(1, copy.Length - 1 - SignatureLength));
        ReadOnlySpan<byte> distribution = default, ciphertext = default;
        bool hasDistribution = false, hasCiphertext = false;
        uint? chainId = null, iteration = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: distribution = r.ReadBytesSpan(wt); hasDistribution = true; break;
                case 2: chainId = r.ReadUInt32(wt); break;
                case 3: iteration = r.ReadUInt32(wt); break;
                case 4: ciphertext = r.ReadBytesSpan(wt); hasCiphertext = true; break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasDistribution || distribution.Length != DistributionIdLength || chainId is null || iteration is null || !hasCiphertext)
        {
            throw new InvalidMessageException("incomplete SenderKeyMessage");
        }
        copy.AsSpan().Overlaps(ciphertext, out var offset);
        return new SenderKeyMessage(copy, new Guid(distribution, bigEndian: true), chainId.Value, iteration.Value, offset, ciphertext.Length);
    }

    internal bool VerifySignature(ECPublicKey signingKey) =>
        signingKey.VerifySignature(_serialized.AsSpan(0, _serialized.Length - SignatureLength), _serialized.AsSpan(_serialized.Length - SignatureLength));
}
