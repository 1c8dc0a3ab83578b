namespace Backchannel.Protocol.Encoding;

/// <summary>
/// Reads protobuf fields from untrusted bytes. Every malformation surfaces as <see cref="InvalidMessageException"/>
/// (or the exception the caller's factory makes), never as another exception.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly Func<string, Exception> _error;
    private int _position;

    internal ProtoReader(ReadOnlySpan<byte> data, Func<string, Exception>? error = null)
    {
        _data = data;
        _error = error ?? (m => new InvalidMessageException(m));
        _position = 0;
    }

    internal readonly bool AtEnd => _position >= _data.Length;

    /// <summary>Reads the next tag; false at the end of the data.</summary>
    internal bool TryReadTag(out int field, out int wireType)
    {
        if (AtEnd)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        var tag = ReadVarint();
        field = (int)Math.Min(tag >> 3, int.MaxValue);
        wireType = (int)(tag & 7);
        if (field == 0)
        {
            throw _error("invalid protobuf field number");
        }
        return true;
    }

    internal ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw _error("truncated protobuf varint");
            }
            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw _error("protobuf varint too long");
    }

    internal uint ReadUInt32(int wireType)
    {
        Expect(wireType, 0);
        return (uint)ReadVarint();
    }

    internal ulong ReadUInt64(int wireType)
    {
        Expect(wireType, 0);
        return ReadVarint();
    }

    internal ulong ReadFixed64(int wireType)
    {
        Expect(wireType, 1);
        if (_data.Length - _position < 8)
        {
            throw _error("truncated protobuf fixed64");
        }
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    internal ReadOnlySpan<byte> ReadBytesSpan(int wireType)
    {
        Expect(wireType, 2);
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw _error("truncated protobuf bytes");
        }
        var span = _data.Slice(_position, (int)length);
        _position += (int)length;
        return span;
    }

    internal byte[] ReadBytes(int wireType) => ReadBytesSpan(wireType).ToArray();

    internal string ReadString(int wireType)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(ReadBytesSpan(wireType));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw _error("invalid UTF-8 in protobuf string");
        }
    }

    internal void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint();
                break;
            case 1:
                if (_data.Length - _position < 8)
                {
                    throw _error("truncated protobuf fixed64");
                }
                _position += 8;
                break;
            case 2:
                ReadBytesSpan(2);
                break;
            case 5:
                if (_data.Length - _position < 4)
                {
                    throw _error("truncated protobuf fixed32");
                }
                _position += 4;
                break;
            default:
                throw _error("unsupported protobuf wire type");
        }
    }

    private readonly void Expect(int wireType, int expected)
    {
        if (wireType != expected)
        {
            throw _error("unexpected protobuf wire type");
        }
    }
}
