namespace Backchannel.Protocol.Encoding;

/// <summary>
/// Our own versioned record format (not libsignal's storage.proto): one format-version byte, then protobuf
/// fields. Durable stores keep these bytes opaque.
/// </summary>
internal static class RecordFormat
{
    internal const byte Version1 = 1;

    internal static ProtoWriter Begin(int capacity = 256)
    {
        var writer = new ProtoWriter(capacity);
        writer.WriteByte(Version1);
        return writer;
    }

    internal static ReadOnlySpan<byte> Open(ReadOnlySpan<byte> record, string what)
    {
        if (record.Length == 0 || record[0] != Version1)
        {
            throw new InvalidMessageException($"unknown {what} record format");
        }
        return record[1..];
    }
}
