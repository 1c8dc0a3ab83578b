using System.Text.Json;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Messages;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;

namespace Backchannel.Relay.Tests.WebSockets;

/// <summary>The hand-written frames must be the serializer's frames, byte for byte (docs/relay-api.md, WebSocket push).</summary>
public sealed class WebSocketFrameWriterTests
{
    public static TheoryData<string, bool> Messages => new()
    {
        { "small", false },
        { "sealed", true },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_message_frame_is_what_the_serializer_writes(string name, bool @sealed)
    {
        // Content chosen so its base64 holds '+' and '/', which a JSON encoder might escape.
        byte[] content = [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 251 + 0xFB)), 0xFF, 0xFE, 0xFB, 0xEF];
        DeviceAddress? source = @sealed ? null : new DeviceAddress(Guid.NewGuid(), 7);
        var message = new StoredMessage(Guid.NewGuid(), source, 255, content, 1_764_000_000_123, 42);
        var writer = new WebSocketFrameWriter();

        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(
            new WebSocketFrame(WebSocketFrame.MessageType, IncomingMessageDto.From(message)), RelayJson.Options);
        Assert.True(expected.AsSpan().IndexOfAny((byte)'+', (byte)'/') >= 0, name);
        Assert.Equal(expected, writer.Message(message).ToArray());
    }

    [Fact]
    public void The_empty_frame_is_what_the_serializer_writes_and_the_buffer_is_reused_cleanly()
    {
        var writer = new WebSocketFrameWriter();
        writer.Message(new StoredMessage(Guid.NewGuid(), null, 1, new byte[5000], 1, 1));
        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(new WebSocketFrame(WebSocketFrame.EmptyType), RelayJson.Options);
        Assert.Equal(expected, writer.Empty().ToArray());
    }
}
