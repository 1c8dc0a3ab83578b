namespace Backchannel.Protocol.Encoding;

/// <summary>
/// Encoded sizes of protobuf fields, so a nested message's length prefix can be written before its fields
/// instead of building the nested message in a scratch buffer first.
/// </summary>
internal static class ProtoSize
{
    internal static int Varint(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    internal static int UInt32(int field, uint value) => Varint((ulong)field << 3) + Varint(value);

    internal static int UInt64(int field, ulong value) => Varint((ulong)field << 3) + Varint(value);

    internal static int Bytes(int field, int length) => Varint(((ulong)field << 3) | 2) + Varint((ulong)length) + length;
}
