using System.Collections;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// Repeated parts of a record (archived states, receiving chains) that stay as the bytes they were loaded from
/// until one is needed: a record is loaded for every message, and most messages touch none of them. The loader
/// checks the bytes before adding them; a part is built on first access, and an unbuilt part is written back
/// byte for byte.
/// </summary>
internal abstract class LazyRecordParts<T> : IReadOnlyList<T>
    where T : class
{
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The part at <paramref name="index"/>, built from its bytes on first use.</summary>
    public T this[int index]
    {
        get
        {
            var entry = _entries[index];
            if (entry.Built is null)
            {
                entry.Built = Build(entry.Bytes!);
                _entries[index] = entry;
            }
            return entry.Built;
        }
    }

    /// <summary>Writes every part as field <paramref name="field"/>: built ones through <see cref="Write"/>, the others as their bytes.</summary>
    internal void WriteTo(ProtoWriter w, int field)
    {
        foreach (var entry in _entries)
        {
            if (entry.Built is { } built)
            {
                Write(built, w, field);
            }
            else
            {
                w.WriteBytes(field, entry.Bytes);
            }
        }
    }

    internal void RemoveAt(int index) => _entries.RemoveAt(index);

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Keeps a copy of bytes the caller has checked.</summary>
    protected void AddBytes(ReadOnlySpan<byte> bytes) => _entries.Add(new Entry(bytes.ToArray(), null));

    protected void Insert(int index, T built) => _entries.Insert(index, new Entry(null, built));

    /// <summary>The part if it is built, else null and its bytes.</summary>
    protected T? Peek(int index, out ReadOnlySpan<byte> bytes)
    {
        var entry = _entries[index];
        bytes = entry.Bytes;
        return entry.Built;
    }

    protected abstract T Build(byte[] bytes);

    protected abstract void Write(T built, ProtoWriter w, int field);

    // Bytes of a part loaded from a record (null for one made in memory); Built once built.
    private record struct Entry(byte[]? Bytes, T? Built);
}
