using System.Buffers;
using System.Text.Json;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// Writes the frames a socket sends (<see cref="WebSocketFrame"/>: the same JSON, byte for byte, as the serializer
/// makes of it) straight into one reused buffer, without building DTOs or id strings per message: this is the
/// hot path of a push. One writer per socket; a frame is valid until the next one is written.
/// </summary>
internal sealed class WebSocketFrameWriter
{
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText SourceName = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText SourceDeviceName = JsonEncodedText.Encode("sourceDevice");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText ServerTimestampName = JsonEncodedText.Encode("serverTimestamp");
    private static readonly JsonEncodedText SealedName = JsonEncodedText.Encode("sealed");
    private static readonly JsonEncodedText MessageType = JsonEncodedText.Encode(WebSocketFrame.MessageType);
    private static readonly JsonEncodedText EmptyType = JsonEncodedText.Encode(WebSocketFrame.EmptyType);

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public WebSocketFrameWriter()
    {
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary><c>{"type":"message","message":{…}}</c> for <paramref name="message"/>.</summary>
    public ReadOnlyMemory<byte> Message(StoredMessage message)
    {
        Utf8JsonWriter w = Start();
        w.WriteStartObject();
        w.WriteString(TypeName, MessageType);
        w.WriteStartObject(MessageName);
        WriteId(w, IdName, message.Id);
        if (message.Source is DeviceAddress source)
        {
            WriteId(w, SourceName, source.Account);
            w.WriteNumber(SourceDeviceName, source.Device);
        }
        else
        {
            w.WriteNull(SourceName);
            w.WriteNull(SourceDeviceName);
        }

        w.WriteNumber(TypeName, message.Type);
        w.WriteBase64String(ContentName, message.Content);
        w.WriteNumber(ServerTimestampName, message.ServerTimestamp);
        w.WriteBoolean(SealedName, message.Sealed);
        w.WriteEndObject();
        w.WriteEndObject();
        return Finish();
    }

    /// <summary><c>{"type":"empty"}</c>.</summary>
    public ReadOnlyMemory<byte> Empty()
    {
        Utf8JsonWriter w = Start();
        w.WriteStartObject();
        w.WriteString(TypeName, EmptyType);
        w.WriteEndObject();
        return Finish();
    }

    private Utf8JsonWriter Start()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        return _json;
    }

    private ReadOnlyMemory<byte> Finish()
    {
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    /// <summary>The lowercase UUID text of <paramref name="id"/> (as <c>Ids.Format</c>), without a string.</summary>
    private static void WriteId(Utf8JsonWriter w, JsonEncodedText name, Guid id)
    {
        Span<byte> text = stackalloc byte[36];
        id.TryFormat(text, out int written, "D");
        w.WriteString(name, text[..written]);
    }
}
