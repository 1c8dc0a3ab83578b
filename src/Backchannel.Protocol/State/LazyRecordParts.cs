using System.Collections;
using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// Repeated parts of a record (archived states, receiving chains) that stay as the bytes they were loaded from
/// until one is needed: a record is loaded for every message, and most messages touch none of them. The loader
/// checks the bytes before adding them; a part is built on first access, and an unbuilt part is written back
/// byte for byte.
/// </summary>
/// <remarks>
/// The bytes are copied into buffers this object keeps: <see cref="Reset"/> wipes them (they hold keys) and the
/// next load into the same object (a pooled <see cref="SessionState"/>) reuses them instead of allocating.
/// </remarks>
internal abstract class LazyRecordParts<T> : IReadOnlyList<T>
    where T : class
{
    // Buffers larger than this (chains with many skipped seeds) are not kept for reuse.
    private const int MaxSpareBufferLength = 256;

    private readonly List<Entry> _entries = [];

    // Wiped buffers for the next AddBytes; made on first Reset.
    private List<byte[]>? _spareBuffers;

    public int Count => _entries.Count;

    /// <summary>The part at <paramref name="index"/>, built from its bytes on first use.</summary>
    public T this[int index]
    {
        get
        {
            var entry = _entries[index];
            if (entry.Built is null)
            {
                var built = Build(entry.Bytes.AsSpan(0, entry.Length));
                _entries[index] = new Entry(null, 0, built);
                Spare(entry.Bytes!);
                return built;
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
                w.WriteBytes(field, entry.Bytes.AsSpan(0, entry.Length));
            }
        }
    }

    /// <summary>Takes the part at <paramref name="index"/> out of the list (a built part moves elsewhere; bytes are wiped).</summary>
    internal void RemoveAt(int index)
    {
        var entry = _entries[index];
        _entries.RemoveAt(index);
        if (entry.Bytes is { } bytes)
        {
            Spare(bytes);
        }
    }

    /// <summary>Removes the part at <paramref name="index"/> for good: its bytes or its built object are wiped.</summary>
    internal void DropAt(int index)
    {
        var entry = _entries[index];
        RemoveAt(index);
        if (entry.Built is { } built)
        {
            Release(built);
        }
    }

    /// <summary>Wipes and removes every part, keeping buffers (and whatever <see cref="Release"/> keeps) for reuse.</summary>
    internal void Reset()
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            DropAt(i);
        }
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Keeps a copy of bytes the caller has checked.</summary>
    protected void AddBytes(ReadOnlySpan<byte> bytes)
    {
        var buffer = TakeSpare(bytes.Length) ?? new byte[bytes.Length];
        bytes.CopyTo(buffer);
        _entries.Add(new Entry(buffer, bytes.Length, null));
    }

    protected void Insert(int index, T built) => _entries.Insert(index, new Entry(null, 0, built));

    /// <summary>The part if it is built, else null and its bytes.</summary>
    protected T? Peek(int index, out ReadOnlySpan<byte> bytes)
    {
        var entry = _entries[index];
        bytes = entry.Bytes.AsSpan(0, entry.Length);
        return entry.Built;
    }

    protected abstract T Build(ReadOnlySpan<byte> bytes);

    protected abstract void Write(T built, ProtoWriter w, int field);

    /// <summary>Wipes a built part that is dropped (it may keep it for reuse).</summary>
    protected abstract void Release(T built);

    private byte[]? TakeSpare(int length)
    {
        if (_spareBuffers is null)
        {
            return null;
        }
        for (var i = 0; i < _spareBuffers.Count; i++)
        {
            if (_spareBuffers[i].Length >= length)
            {
                var buffer = _spareBuffers[i];
                _spareBuffers.RemoveAt(i);
                return buffer;
            }
        }
        return null;
    }

    private void Spare(byte[] buffer)
    {
        CryptographicOperations.ZeroMemory(buffer);
        if (buffer.Length <= MaxSpareBufferLength && (_spareBuffers ??= []).Count < Constants.MaxReceiverChains)
        {
            _spareBuffers.Add(buffer);
        }
    }

    // Bytes[..Length] of a part loaded from a record (null for one made in memory or once built); Built once built.
    private readonly record struct Entry(byte[]? Bytes, int Length, T? Built);
}
