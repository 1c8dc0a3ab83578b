using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The receiving chains of a session state, oldest first, at most <see cref="Constants.MaxReceiverChains"/>
/// (FACTS §4.7), kept as their record bytes until a message from their ratchet key arrives: sending needs none
/// (<see cref="LazyRecordParts{T}"/>). Dropped chains are wiped and kept for the next chain this list builds.
/// </summary>
internal sealed class ReceiverChains : LazyRecordParts<ReceiverChain>
{
    // Wiped chain objects for reuse; made on first release.
    private Stack<ReceiverChain>? _spareChains;

    /// <summary>Appends a chain read from a record as its bytes; <see cref="SessionStateFields.Read"/> has checked them.</summary>
    internal void AddSerialized(ReadOnlySpan<byte> bytes) => AddBytes(bytes);

    /// <summary>Appends a new chain with copies of the keys, dropping the oldest beyond the limit.</summary>
    internal ReceiverChain Add(ReadOnlySpan<byte> ratchetKey, ReadOnlySpan<byte> chainKey)
    {
        var chain = TakeChain();
        chain.Set(ratchetKey, chainKey, 0);
        Insert(Count, chain);
        if (Count > Constants.MaxReceiverChains)
        {
            DropAt(0);
        }
        return chain;
    }

    /// <summary>The chain of a serialized ratchet key (built if it was not), or null.</summary>
    internal ReceiverChain? Find(ReadOnlySpan<byte> ratchetKey)
    {
        for (var i = 0; i < Count; i++)
        {
            var key = Peek(i, out var bytes) is { } chain ? chain.RatchetKey : SessionStateFields.ChainRatchetKey(bytes);
            if (CryptographicOperations.FixedTimeEquals(key, ratchetKey))
            {
                return this[i];
            }
        }
        return null;
    }

    protected override ReceiverChain Build(ReadOnlySpan<byte> bytes)
    {
        var chain = TakeChain();
        SessionStateFields.ReadChain(bytes, chain);
        return chain;
    }

    protected override void Write(ReceiverChain built, ProtoWriter w, int field) => built.WriteTo(w, field);

    protected override void Release(ReceiverChain built)
    {
        built.Wipe();
        if ((_spareChains ??= new()).Count < Constants.MaxReceiverChains)
        {
            _spareChains.Push(built);
        }
    }

    private ReceiverChain TakeChain() => _spareChains is { Count: > 0 } spare ? spare.Pop() : new ReceiverChain();

    /// <inheritdoc />
    public override string ToString() => nameof(ReceiverChains);
}
