namespace Backchannel.Protocol.Encoding;

/// <summary>
/// Writes protobuf fields into a span the caller sized exactly (with <see cref="ProtoSize"/>), so a message
/// can be built in its final array without a growing buffer and a copy. Writing past the end is a bug and throws.
/// </summary>
internal ref struct ProtoSpanWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    internal ProtoSpanWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    internal readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._length];

    internal void WriteByte(byte value) => _buffer[_length++] = value;

    internal void WriteVarint(ulong value) => _length += WriteVarint(_buffer[_length..], value);

    /// <summary>Writes a varint at the start of <paramref name="destination"/>; returns its length.</summary>
    internal static int WriteVarint(Span<byte> destination, ulong value)
    {
        var length = 0;
        while (value >= 0x80)
        {
            destination[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[length++] = (byte)value;
        return length;
    }

    internal void WriteUInt32(int field, uint value)
    {
        WriteVarint((ulong)field << 3);
        WriteVarint(value);
    }

    internal void WriteBytes(int field, scoped ReadOnlySpan<byte> value)
    {
        WriteVarint(((ulong)field << 3) | 2);
        WriteVarint((ulong)value.Length);
        value.CopyTo(_buffer[_length..]);
        _length += value.Length;
    }

    /// <summary>Writes the tag and length of a bytes field and returns the span its <paramref name="length"/> bytes go into.</summary>
    internal Span<byte> ReserveBytes(int field, int length)
    {
        WriteVarint(((ulong)field << 3) | 2);
        WriteVarint((ulong)length);
        var span = _buffer.Slice(_length, length);
        _length += length;
        return span;
    }

    internal Span<byte> Reserve(int length)
    {
        var span = _buffer.Slice(_length, length);
        _length += length;
        return span;
    }
}
