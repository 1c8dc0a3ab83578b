using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.Groups;

/// <summary>
/// SenderKeyMessage (type 7): 0x33 ‖ protobuf {1 distribution_uuid, 2 chain_id, 3 iteration, 4 ciphertext} ‖
/// XEdDSA signature (64 B) by the sender's signing key over everything before it (FACTS §4.10).
/// </summary>
internal sealed class SenderKeyMessage
{
    private const int SignatureLength = 64;

    private readonly byte[] _serialized;

    private SenderKeyMessage(byte[] serialized, Guid distributionId, uint chainId, uint iteration, byte[] ciphertext)
    {
        _serialized = serialized;
        DistributionId = distributionId;
        ChainId = chainId;
        Iteration = iteration;
        Ciphertext = ciphertext;
    }

    internal Guid DistributionId { get; }

    internal uint ChainId { get; }

    internal uint Iteration { get; }

    internal byte[] Ciphertext { get; }

    internal byte[] Serialized => _serialized;

    internal static SenderKeyMessage Create(Guid distributionId, uint chainId, uint iteration, byte[] ciphertext, ECPrivateKey signingKey, ECPublicKey signingPublicKey)
    {
        var w = new ProtoWriter(ciphertext.Length + 100);
        w.WriteByte(Constants.SenderKeyVersionByte);
        w.WriteBytes(1, distributionId.ToByteArray(bigEndian: true));
        w.WriteUInt32(2, chainId);
        w.WriteUInt32(3, iteration);
        w.WriteBytes(4, ciphertext);
        var signature = signingKey.Sign(w.WrittenSpan, signingPublicKey);
        w.WriteRaw(signature);
        return new SenderKeyMessage(w.ToArray(), distributionId, chainId, iteration, ciphertext);
    }

    internal static SenderKeyMessage Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1 + SignatureLength)
        {
            throw new InvalidMessageException("SenderKeyMessage too short");
        }
        SenderKeyMessageVersion.Check(bytes[0]);
        var r = new ProtoReader(bytes[1..^SignatureLength]);
        byte[]? distribution = null, ciphertext = null;
        uint? chainId = null, iteration = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: distribution = r.ReadBytes(wt); break;
                case 2: chainId = r.ReadUInt32(wt); break;
                case 3: iteration = r.ReadUInt32(wt); break;
                case 4: ciphertext = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (distribution is not { Length: 16 } || chainId is null || iteration is null || ciphertext is null)
        {
            throw new InvalidMessageException("incomplete SenderKeyMessage");
        }
        return new SenderKeyMessage(bytes.ToArray(), new Guid(distribution, bigEndian: true), chainId.Value, iteration.Value, ciphertext);
    }

    internal bool VerifySignature(ECPublicKey signingKey) =>
        signingKey.VerifySignature(_serialized.AsSpan(0, _serialized.Length - SignatureLength), _serialized.AsSpan(_serialized.Length - SignatureLength));
}
