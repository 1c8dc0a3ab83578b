namespace Backchannel.Interop.Tests.Harness;

/// <summary>
/// Just enough protobuf reading to find a field's bytes inside a message, so tampering hits exactly the part a
/// scenario means (LIBSIGNAL-FACTS §4.6 layouts) and scannable fingerprints can be compared.
/// </summary>
internal static class Protobuf
{
    /// <summary>The offset and length of the first length-delimited <paramref name="field"/> in <paramref name="message"/>.</summary>
    public static (int Offset, int Length) FindBytesField(ReadOnlySpan<byte> message, int field)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message, ref position);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    ReadVarint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = checked((int)ReadVarint(message, ref position));
                    if (number == field)
                    {
                        if (position + length > message.Length)
                        {
                            throw new FormatException($"field {field} runs past the end of the message");
                        }

                        return (position, length);
                    }

                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new FormatException($"unsupported wire type {wireType}");
            }
        }

        throw new FormatException($"no length-delimited field {field}");
    }

    /// <summary>The first varint <paramref name="field"/>, or null when absent.</summary>
    public static ulong? FindVarintField(ReadOnlySpan<byte> message, int field)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message, ref position);
            var number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0:
                    var value = ReadVarint(message, ref position);
                    if (number == field)
                    {
                        return value;
                    }

                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    position += checked((int)ReadVarint(message, ref position));
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new FormatException("unsupported wire type");
            }
        }

        return null;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new FormatException("truncated varint");
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint too long");
    }
}
