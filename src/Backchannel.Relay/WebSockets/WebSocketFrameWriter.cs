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
    private static readonly JsonEncodedText MessagesName = JsonEncodedText.Encode("messages");
    private static readonly JsonEncodedText MessageType = JsonEncodedText.Encode(WebSocketFrame.MessageType);
    private static readonly JsonEncodedText MessagesType = JsonEncodedText.Encode(WebSocketFrame.MessagesType);
    private static readonly JsonEncodedText EmptyType = JsonEncodedText.Encode(WebSocketFrame.EmptyType);

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public WebSocketFrameWriter()
    {
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>Most messages in one <c>"messages"</c> frame.</summary>
    public const int MaxMessagesPerFrame = 100;

    /// <summary>A <c>"messages"</c> frame takes no further message once it is this long (one large message may exceed it).</summary>
    public const int BatchFrameBytes = 64 * 1024;

    /// <summary><c>{"type":"message","message":{…}}</c> for <paramref name="message"/>.</summary>
    public ReadOnlyMemory<byte> Message(StoredMessage message)
    {
        Utf8JsonWriter w = Start();
        w.WriteStartObject();
        w.WriteString(TypeName, MessageType);
        w.WritePropertyName(MessageName);
        WriteMessage(w, message);
        w.WriteEndObject();
        return Finish();
    }

    /// <summary>
    /// <c>{"type":"messages","messages":[{…},…]}</c> for <paramref name="messages"/> from <paramref name="start"/>
    /// on, in order: at least one, at most <see cref="MaxMessagesPerFrame"/>, and no more once the frame has reached
    /// <see cref="BatchFrameBytes"/>. <paramref name="taken"/> says how many it holds.
    /// </summary>
    public ReadOnlyMemory<byte> Messages(IReadOnlyList<StoredMessage> messages, int start, out int taken)
    {
        Utf8JsonWriter w = Start();
        w.WriteStartObject();
        w.WriteString(TypeName, MessagesType);
        w.WriteStartArray(MessagesName);
        taken = 0;
        do
        {
            WriteMessage(w, messages[start + taken]);
            taken++;
        }
        while (start + taken < messages.Count && taken < MaxMessagesPerFrame && w.BytesPending + w.BytesCommitted < BatchFrameBytes);

        w.WriteEndArray();
        w.WriteEndObject();
        return Finish();
    }

    /// <summary>The message object of both frame kinds, as in <c>GET /v1/messages</c>.</summary>
    private static void WriteMessage(Utf8JsonWriter w, StoredMessage message)
    {
        w.WriteStartObject();
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
