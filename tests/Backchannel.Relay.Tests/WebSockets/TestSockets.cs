using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.WebSockets;

/// <summary>A test's raw JSON frames on <c>/v1/websocket</c>, with a timeout on every wait.</summary>
internal static class TestSockets
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<ClientWebSocket> ConnectAsync(RelayFixture relay, RelayClient client, string query = "")
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", client.Authorization().ToString());
        var uri = new UriBuilder(new Uri(relay.BaseAddress, "/v1/websocket" + query)) { Scheme = "ws" }.Uri;
        using var timeout = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    public static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var buffer = new byte[128 * 1024];
        int length = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject();
    }

    public static Task SendAsync(ClientWebSocket socket, JsonObject frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    public static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
