namespace Backchannel.Protocol.Primitives;

/// <summary>
/// A small, fixed-size, lock-free memo from one 32-byte public value to another, for the Edwards forms of
/// Montgomery keys that sign or are checked again and again (a sender-key chain signs every channel message).
/// Only public values go in. Each slot holds one immutable entry that a newer key may replace, so memory stays
/// bounded whatever keys arrive; a miss only costs the computation the memo saves. The slot comes from the
/// process's randomized hash, so keys chosen by others cannot be aimed at one slot from outside.
/// </summary>
internal sealed class PublicKeyMemo
{
    private const int ValueLength = 32;

    private readonly Entry?[] _slots;

    internal PublicKeyMemo(int slots)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), "The slot count is a power of two.");
        }
        _slots = new Entry?[slots];
    }

    /// <summary>Copies the value remembered for <paramref name="key"/> into <paramref name="value"/>.</summary>
    internal bool TryGet(ReadOnlySpan<byte> key, Span<byte> value)
    {
        var entry = Volatile.Read(ref _slots[Slot(key)]);
        if (entry is null || !key.SequenceEqual(entry.Key))
        {
            return false;
        }
        entry.Value.CopyTo(value);
        return true;
    }

    internal void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (value.Length != ValueLength)
        {
            throw new ArgumentException("Remembered values are 32 bytes.", nameof(value));
        }
        Volatile.Write(ref _slots[Slot(key)], new Entry(key.ToArray(), value.ToArray()));
    }

    private int Slot(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return hash.ToHashCode() & (_slots.Length - 1);
    }

    private sealed class Entry(byte[] key, byte[] value)
    {
        internal byte[] Key { get; } = key;

        internal byte[] Value { get; } = value;
    }
}
