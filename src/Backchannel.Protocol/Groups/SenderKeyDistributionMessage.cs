using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.Groups;

/// <summary>
/// SenderKeyDistributionMessage: 0x33 ‖ protobuf {1 distribution_uuid (16 B), 2 chain_id, 3 iteration,
/// 4 chain_key (32 B), 5 signing_key (33 B)} (FACTS §4.10). Unsigned: it travels inside a 1:1 session.
/// </summary>
internal sealed record SenderKeyDistributionMessage(Guid DistributionId, uint ChainId, uint Iteration, byte[] ChainKey, ECPublicKey SigningKey)
{
    internal byte[] Serialize()
    {
        var w = new ProtoWriter(128);
        w.WriteByte(Constants.SenderKeyVersionByte);
        w.WriteBytes(1, DistributionId.ToByteArray(bigEndian: true));
        w.WriteUInt32(2, ChainId);
        w.WriteUInt32(3, Iteration);
        w.WriteBytes(4, ChainKey);
        w.WriteBytes(5, SigningKey.Serialized);
        var bytes = w.ToArray();
        w.Clear();
        return bytes;
    }

    internal static SenderKeyDistributionMessage Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1)
        {
            throw new InvalidMessageException("SenderKeyDistributionMessage too short");
        }
        SenderKeyMessageVersion.Check(bytes[0]);
        var r = new ProtoReader(bytes[1..]);
        byte[]? distribution = null, chainKey = null, signingKey = null;
        uint? chainId = null, iteration = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: distribution = r.ReadBytes(wt); break;
                case 2: chainId = r.ReadUInt32(wt); break;
                case 3: iteration = r.ReadUInt32(wt); break;
                case 4: chainKey = r.ReadBytes(wt); break;
                case 5: signingKey = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (distribution is not { Length: 16 } || chainId is null || iteration is null || chainKey is not { Length: 32 } || signingKey is not { Length: 33 })
        {
            throw new InvalidMessageException("incomplete SenderKeyDistributionMessage");
        }
        ECPublicKey key;
        try
        {
            key = ECPublicKey.Deserialize(signingKey);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid signing key in SenderKeyDistributionMessage");
        }
        return new SenderKeyDistributionMessage(new Guid(distribution, bigEndian: true), chainId.Value, iteration.Value, chainKey, key);
    }

    public override string ToString() => nameof(SenderKeyDistributionMessage);
}
