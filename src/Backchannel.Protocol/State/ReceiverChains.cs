using System.Collections;
using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The receiving chains of a session state, oldest first, at most <see cref="Constants.MaxReceiverChains"/>
/// (FACTS §4.7). A chain loaded from record bytes is checked at load but kept as those bytes, and built only
/// when a message from its ratchet key arrives (sending needs none, and a record is loaded for every message);
/// an unbuilt chain is written back byte for byte.
/// </summary>
internal sealed class ReceiverChains : IReadOnlyList<ReceiverChain>
{
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The chain at <paramref name="index"/>, built from its bytes on first use.</summary>
    public ReceiverChain this[int index]
    {
        get
        {
            var entry = _entries[index];
            if (entry.Chain is null)
            {
                entry.Chain = SessionStateFields.ReadChain(entry.Bytes, build: true)!;
                _entries[index] = entry;
            }
            return entry.Chain;
        }
    }

    /// <summary>Appends a chain read from a record as its bytes; <see cref="SessionStateFields.Read"/> has checked them.</summary>
    internal void AddSerialized(ReadOnlySpan<byte> bytes) => _entries.Add(new Entry(bytes.ToArray(), null));

    /// <summary>Appends a new chain, dropping the oldest beyond the limit.</summary>
    internal void Add(ReceiverChain chain)
    {
        _entries.Add(new Entry(null, chain));
        if (_entries.Count > Constants.MaxReceiverChains)
        {
            _entries.RemoveAt(0);
        }
    }

    /// <summary>The chain of a serialized ratchet key (built if it was not), or null.</summary>
    internal ReceiverChain? Find(ReadOnlySpan<byte> ratchetKey)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            var entry = _entries[i];
            var key = entry.Chain is { } chain ? chain.RatchetKey.Serialized : SessionStateFields.ChainRatchetKey(entry.Bytes);
            if (CryptographicOperations.FixedTimeEquals(key, ratchetKey))
            {
                return this[i];
            }
        }
        return null;
    }

    /// <summary>Writes each chain as state field <paramref name="field"/>: unbuilt ones as their bytes.</summary>
    internal void WriteTo(ProtoWriter w, int field)
    {
        foreach (var entry in _entries)
        {
            if (entry.Chain is { } chain)
            {
                chain.WriteTo(w, field);
            }
            else
            {
                w.WriteBytes(field, entry.Bytes);
            }
        }
    }

    public IEnumerator<ReceiverChain> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => nameof(ReceiverChains);

    // Bytes of a chain loaded from a record (null for one made in memory); Chain once built.
    private record struct Entry(byte[]? Bytes, ReceiverChain? Chain);
}
