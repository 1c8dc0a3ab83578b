using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.Groups;

/// <summary>
/// One sender-key chain (FACTS §4.10): chain id, the current chain key and its iteration, the sender's signing
/// key (with its private half only on the sender's own side) and skipped message-key seeds (at most 2,000).
/// </summary>
internal sealed class SenderKeyState
{
    internal SenderKeyState(uint chainId, uint iteration, byte[] chainKey, ECPublicKey signingKey, ECPrivateKey? signingPrivate)
    {
        ChainId = chainId;
        Iteration = iteration;
        ChainKey = chainKey;
        SigningKey = signingKey;
        SigningPrivate = signingPrivate;
    }

    internal uint ChainId { get; }

    internal uint Iteration { get; set; }

    internal byte[] ChainKey { get; set; }

    internal ECPublicKey SigningKey { get; }

    internal ECPrivateKey? SigningPrivate { get; }

    internal List<(uint Iteration, byte[] Seed)> SkippedSeeds { get; } = [];

    internal void AddSkipped(uint iteration, byte[] seed)
    {
        SkippedSeeds.Add((iteration, seed));
        if (SkippedSeeds.Count > Constants.MaxMessageKeys)
        {
            CryptographicOperations.ZeroMemory(SkippedSeeds[0].Seed);
            SkippedSeeds.RemoveAt(0);
        }
    }

    internal byte[]? TakeSkipped(uint iteration)
    {
        var index = SkippedSeeds.FindIndex(s => s.Iteration == iteration);
        if (index < 0)
        {
            return null;
        }
        var seed = SkippedSeeds[index].Seed;
        SkippedSeeds.RemoveAt(index);
        return seed;
    }

    internal void Serialize(ProtoWriter w)
    {
        w.WriteUInt32(1, ChainId);
        w.WriteUInt32(2, Iteration);
        w.WriteBytes(3, ChainKey);
        w.WriteBytes(4, SigningKey.Serialized);
        if (SigningPrivate is not null)
        {
            w.WriteBytes(5, SigningPrivate.Raw);
        }
        foreach (var (iteration, seed) in SkippedSeeds)
        {
            var k = new ProtoWriter(40);
            k.WriteUInt32(1, iteration);
            k.WriteBytes(2, seed);
            w.WriteMessage(6, k);
            k.Clear();
        }
    }

    internal static SenderKeyState Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        uint chainId = 0, iteration = 0;
        byte[]? chainKey = null, signing = null, signingPrivate = null;
        var skipped = new List<(uint, byte[])>();
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: chainId = r.ReadUInt32(wt); break;
                case 2: iteration = r.ReadUInt32(wt); break;
                case 3: chainKey = r.ReadBytes(wt); break;
                case 4: signing = r.ReadBytes(wt); break;
                case 5: signingPrivate = r.ReadBytes(wt); break;
                case 6:
                {
                    var k = new ProtoReader(r.ReadBytesSpan(wt));
                    uint i = 0;
                    byte[]? seed = null;
                    while (k.TryReadTag(out var kf, out var kwt))
                    {
                        switch (kf)
                        {
                            case 1: i = k.ReadUInt32(kwt); break;
                            case 2: seed = k.ReadBytes(kwt); break;
                            default: k.Skip(kwt); break;
                        }
                    }
                    skipped.Add((i, seed is { Length: 32 } ? seed : throw new InvalidMessageException("invalid sender key seed")));
                    break;
                }
                default: r.Skip(wt); break;
            }
        }
        if (chainKey is not { Length: 32 } || signing is null || skipped.Count > Constants.MaxMessageKeys)
        {
            throw new InvalidMessageException("incomplete sender key state");
        }
        try
        {
            var state = new SenderKeyState(chainId, iteration, chainKey, ECPublicKey.Deserialize(signing),
                signingPrivate is null ? null : ECPrivateKey.Deserialize(signingPrivate));
            state.SkippedSeeds.AddRange(skipped);
            return state;
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid key in sender key state");
        }
    }
}
