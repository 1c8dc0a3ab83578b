using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// A receiving chain of a session state: the peer's ratchet key, our next chain key for it and the skipped
/// message-key seeds (at most <see cref="Constants.MaxMessageKeys"/>, oldest dropped). Seeds, not derived keys,
/// are kept so an SPQR salt can still be applied when they are used (FACTS §4.7).
/// </summary>
internal sealed class ReceiverChain
{
    // Made on the first skipped seed: most chains never have one.
    private List<(uint Index, byte[] Seed)>? _skippedSeeds;

    private readonly byte[] _ratchetKey = new byte[ECPublicKey.SerializedLength];

    /// <summary>The serialized ratchet key (0x05 ‖ 32 bytes) of the peer's sending chain this chain follows.</summary>
    internal ReadOnlySpan<byte> RatchetKey => _ratchetKey;

    /// <summary>Our next chain key for it: this array changes in place.</summary>
    internal byte[] ChainKey { get; } = new byte[32];

    internal uint Index { get; set; }

    /// <summary>Makes this (new or wiped) chain follow <paramref name="ratchetKey"/> from <paramref name="chainKey"/> (both copied).</summary>
    internal void Set(ReadOnlySpan<byte> ratchetKey, ReadOnlySpan<byte> chainKey, uint index)
    {
        ratchetKey.CopyTo(_ratchetKey);
        chainKey.CopyTo(ChainKey);
        Index = index;
    }

    /// <summary>Zeroes the chain key and every skipped seed, and forgets the seeds, so the object can be reused.</summary>
    internal void Wipe()
    {
        CryptographicOperations.ZeroMemory(ChainKey);
        if (_skippedSeeds is not null)
        {
            foreach (var (_, seed) in _skippedSeeds)
            {
                CryptographicOperations.ZeroMemory(seed);
            }
            _skippedSeeds.Clear();
        }
        Index = 0;
    }

    /// <summary>Skipped seeds in insertion order (oldest first).</summary>
    internal List<(uint Index, byte[] Seed)> SkippedSeeds => _skippedSeeds ??= [];

    internal void AddSkipped(uint index, byte[] seed)
    {
        SkippedSeeds.Add((index, seed));
        if (SkippedSeeds.Count > Constants.MaxMessageKeys)
        {
            CryptographicOperations.ZeroMemory(SkippedSeeds[0].Seed);
            SkippedSeeds.RemoveAt(0);
        }
    }

    internal byte[]? FindSkipped(uint index)
    {
        if (_skippedSeeds is not null)
        {
            foreach (var (i, seed) in _skippedSeeds)
            {
                if (i == index)
                {
                    return seed;
                }
            }
        }
        return null;
    }

    internal byte[]? TakeSkipped(uint index)
    {
        if (_skippedSeeds is null)
        {
            return null;
        }
        for (var i = 0; i < _skippedSeeds.Count; i++)
        {
            if (_skippedSeeds[i].Index == index)
            {
                var seed = _skippedSeeds[i].Seed;
                _skippedSeeds.RemoveAt(i);
                return seed;
            }
        }
        return null;
    }

    /// <summary>Writes the chain as the nested message <paramref name="field"/> of a session state (our record format).</summary>
    internal void WriteTo(ProtoWriter w, int field)
    {
        var size = ProtoSize.Bytes(1, _ratchetKey.Length) + ProtoSize.Bytes(2, ChainKey.Length) + ProtoSize.UInt32(3, Index);
        if (_skippedSeeds is not null)
        {
            foreach (var (index, seed) in _skippedSeeds)
            {
                size += ProtoSize.Bytes(4, SkippedSize(index, seed));
            }
        }
        w.WriteMessageHeader(field, size);
        w.WriteBytes(1, _ratchetKey);
        w.WriteBytes(2, ChainKey);
        w.WriteUInt32(3, Index);
        if (_skippedSeeds is not null)
        {
            foreach (var (index, seed) in _skippedSeeds)
            {
                w.WriteMessageHeader(4, SkippedSize(index, seed));
                w.WriteUInt32(1, index);
                w.WriteBytes(2, seed);
            }
        }
    }

    private static int SkippedSize(uint index, byte[] seed) => ProtoSize.UInt32(1, index) + ProtoSize.Bytes(2, seed.Length);

    /// <inheritdoc />
    public override string ToString() => nameof(ReceiverChain);
}
