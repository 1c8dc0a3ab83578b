namespace Backchannel.Protocol.State;

/// <summary>
/// A receiving chain of a session state: the peer's ratchet key, our next chain key for it and the skipped
/// message-key seeds (at most <see cref="Constants.MaxMessageKeys"/>, oldest dropped). Seeds, not derived keys,
/// are kept so an SPQR salt can still be applied when they are used (FACTS §4.7).
/// </summary>
internal sealed class ReceiverChain
{
    internal ReceiverChain(ECPublicKey ratchetKey, byte[] chainKey, uint index)
    {
        RatchetKey = ratchetKey;
        ChainKey = chainKey;
        Index = index;
    }

    internal ECPublicKey RatchetKey { get; }

    internal byte[] ChainKey { get; set; }

    internal uint Index { get; set; }

    /// <summary>Skipped seeds in insertion order (oldest first).</summary>
    internal List<(uint Index, byte[] Seed)> SkippedSeeds { get; } = [];

    internal void AddSkipped(uint index, byte[] seed)
    {
        SkippedSeeds.Add((index, seed));
        if (SkippedSeeds.Count > Constants.MaxMessageKeys)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(SkippedSeeds[0].Seed);
            SkippedSeeds.RemoveAt(0);
        }
    }

    internal byte[]? TakeSkipped(uint index)
    {
        for (var i = 0; i < SkippedSeeds.Count; i++)
        {
            if (SkippedSeeds[i].Index == index)
            {
                var seed = SkippedSeeds[i].Seed;
                SkippedSeeds.RemoveAt(i);
                return seed;
            }
        }
        return null;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(ReceiverChain);
}
