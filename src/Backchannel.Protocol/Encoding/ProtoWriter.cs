namespace Backchannel.Protocol.Encoding;

/// <summary>
/// Writes the small subset of protobuf (proto2) the wire messages use: varints, length-delimited bytes and
/// fixed64, in the order the caller writes them (libsignal writes fields in field-number order).
/// </summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer;
    private int _length;

    internal ProtoWriter(int capacity = 128)
    {
        _buffer = new byte[capacity];
    }

    internal int Length => _length;

    internal void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    internal void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    internal void WriteVarint(ulong value)
    {
        Ensure(10);
        _length += ProtoSpanWriter.WriteVarint(_buffer.AsSpan(_length), value);
    }

    internal void WriteUInt32(int field, uint value)
    {
        WriteVarint((ulong)field << 3);
        WriteVarint(value);
    }

    internal void WriteUInt64(int field, ulong value)
    {
        WriteVarint((ulong)field << 3);
        WriteVarint(value);
    }

    internal void WriteBool(int field, bool value) => WriteUInt32(field, value ? 1u : 0u);

    internal void WriteFixed64(int field, ulong value)
    {
        WriteVarint(((ulong)field << 3) | 1);
        Ensure(8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    internal void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteVarint(((ulong)field << 3) | 2);
        WriteVarint((ulong)value.Length);
        WriteRaw(value);
    }

    internal void WriteString(int field, string value) => WriteBytes(field, System.Text.Encoding.UTF8.GetBytes(value));

    internal void WriteMessage(int field, ProtoWriter nested) => WriteBytes(field, nested.WrittenSpan);

    /// <summary>The tag and length of a nested message whose <paramref name="length"/> bytes the caller writes next (sized with <see cref="ProtoSize"/>).</summary>
    internal void WriteMessageHeader(int field, int length)
    {
        WriteVarint(((ulong)field << 3) | 2);
        WriteVarint((ulong)length);
    }

    internal ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    internal byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    /// <summary>Zeroes the buffer, for writers that held secrets.</summary>
    internal void Clear()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
        _length = 0;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }
        var bigger = new byte[Math.Max(_buffer.Length * 2, _length + more)];
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
        _buffer = bigger;
    }
}
