using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The receiving chains of a session state, oldest first, at most <see cref="Constants.MaxReceiverChains"/>
/// (FACTS §4.7), kept as their record bytes until a message from their ratchet key arrives: sending needs none
/// (<see cref="LazyRecordParts{T}"/>).
/// </summary>
internal sealed class ReceiverChains : LazyRecordParts<ReceiverChain>
{
    /// <summary>Appends a chain read from a record as its bytes; <see cref="SessionStateFields.Read"/> has checked them.</summary>
    internal void AddSerialized(ReadOnlySpan<byte> bytes) => AddBytes(bytes);

    /// <summary>Appends a new chain, dropping the oldest beyond the limit.</summary>
    internal void Add(ReceiverChain chain)
    {
        Insert(Count, chain);
        if (Count > Constants.MaxReceiverChains)
        {
            RemoveAt(0);
        }
    }

    /// <summary>The chain of a serialized ratchet key (built if it was not), or null.</summary>
    internal ReceiverChain? Find(ReadOnlySpan<byte> ratchetKey)
    {
        for (var i = 0; i < Count; i++)
        {
            var key = Peek(i, out var bytes) is { } chain ? chain.RatchetKey.Serialized : SessionStateFields.ChainRatchetKey(bytes);
            if (CryptographicOperations.FixedTimeEquals(key, ratchetKey))
            {
                return this[i];
            }
        }
        return null;
    }

    protected override ReceiverChain Build(byte[] bytes) => SessionStateFields.ReadChain(bytes, build: true)!;

    protected override void Write(ReceiverChain built, ProtoWriter w, int field) => built.WriteTo(w, field);

    /// <inheritdoc />
    public override string ToString() => nameof(ReceiverChains);
}
