using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;
using Microsoft.Extensions.DependencyInjection;

using static Backchannel.Relay.Tests.WebSockets.TestSockets;

namespace Backchannel.Relay.Tests.WebSockets;

public sealed class WebSocketTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task The_socket_pushes_the_backlog_then_empty_then_live_messages_and_takes_acks()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string first = RelayClient.NewId();
        string second = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(first, bob.Account, 1, [1]), RelayClient.Message(second, bob.Account, 1, [2]));

        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        Assert.Equal(first, (string)(await ReceiveAsync(socket))["message"]!["id"]!);
        JsonObject secondFrame = await ReceiveAsync(socket);
        Assert.Equal("message", (string)secondFrame["type"]!);
        Assert.Equal(second, (string)secondFrame["message"]!["id"]!);
        Assert.Equal(alice.Account, (string)secondFrame["message"]!["source"]!);
        JsonObject empty = await ReceiveAsync(socket);
        Assert.Equal("empty", (string)empty["type"]!);
        Assert.Single(empty);

        string live = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(live, bob.Account, 1, [3]));
        JsonObject pushed = await ReceiveAsync(socket);
        Assert.Equal(live, (string)pushed["message"]!["id"]!);
        Assert.Equal([3], Convert.FromBase64String((string)pushed["message"]!["content"]!));

        foreach (string id in new[] { first, second, live })
        {
            await SendAsync(socket, new JsonObject { ["type"] = "ack", ["id"] = id });
        }

        await EventuallyAsync(async () => (await bob.FetchAsync())["messages"]!.AsArray().Count == 0);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_burst_of_acks_empties_the_mailbox_and_acks_sent_just_before_closing_are_applied()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] ids = await SendBacklogAsync(alice, bob, 250);
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        await ReceiveBacklogAsync(socket, ids);
        foreach (string id in ids)
        {
            await SendAsync(socket, new JsonObject { ["type"] = "ack", ["id"] = id });
        }

        // Closed straight after the last ack: the relay still applies every ack it received.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await EventuallyAsync(async () => (await bob.FetchAsync())["messages"]!.AsArray().Count == 0);
    }

    [Fact]
    public async Task An_ack_frame_with_several_ids_acknowledges_them_all_and_a_frame_with_a_bad_id_acknowledges_none()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] ids = await SendBacklogAsync(alice, bob, 4);
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        await ReceiveBacklogAsync(socket, ids);
        await SendAsync(socket, new JsonObject { ["type"] = "ack", ["ids"] = new JsonArray(ids[0], "NOT-A-UUID") });
        await SendAsync(socket, new JsonObject { ["type"] = "ack", ["id"] = ids[0], ["ids"] = new JsonArray(ids[3]) });
        await SendAsync(socket, new JsonObject { ["type"] = "ack", ["ids"] = new JsonArray() });
        await SendAsync(socket, new JsonObject { ["type"] = "ack", ["ids"] = new JsonArray(ids[1], ids[2]) });

        // Frames are applied in order, so once the good frame's ids are gone the bad frames have been seen too.
        await EventuallyAsync(async () => (await bob.FetchAsync())["messages"]!.AsArray().Count == 2);
        string[] left = [.. (await bob.FetchAsync())["messages"]!.AsArray().Select(m => (string)m!["id"]!)];
        Assert.Equal([ids[0], ids[3]], left);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_batched_socket_sends_the_backlog_and_live_messages_in_messages_frames_of_at_most_100_in_order()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] backlog = await SendBacklogAsync(alice, bob, 250);
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob, "?batched=true");
        var received = new List<string>();
        var frameSizes = new List<int>();
        JsonObject frame;
        while ((string)(frame = await ReceiveAsync(socket))["type"]! == "messages")
        {
            JsonArray batch = frame["messages"]!.AsArray();
            frameSizes.Add(batch.Count);
            received.AddRange(batch.Select(m => (string)m!["id"]!));
            Assert.Equal(alice.Account, (string)batch[0]!["source"]!);
        }

        Assert.Equal("empty", (string)frame["type"]!);
        Assert.Equal(backlog, received);
        // The store is read in pages of 100, so the backlog comes in frames of 100, 100 and 50.
        Assert.Equal([100, 100, 50], frameSizes);

        string[] live = [RelayClient.NewId(), RelayClient.NewId(), RelayClient.NewId()];
        await alice.SendMessagesAsync([.. live.Select((id, i) => RelayClient.Message(id, bob.Account, 1, [(byte)(10 + i)]))]);
        var liveReceived = new List<string>();
        while (liveReceived.Count < live.Length)
        {
            frame = await ReceiveAsync(socket);
            Assert.Equal("messages", (string)frame["type"]!);
            foreach (JsonNode? m in frame["messages"]!.AsArray())
            {
                liveReceived.Add((string)m!["id"]!);
                Assert.Equal([(byte)(10 + liveReceived.Count - 1)], Convert.FromBase64String((string)m["content"]!));
            }
        }

        Assert.Equal(live, liveReceived);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_batched_frame_takes_no_further_message_once_it_has_reached_64_KiB()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        // 40 KiB of content is ~54 KiB of base64: the first frame holds two (it was under 64 KiB after one), then one.
        string[] ids = [RelayClient.NewId(), RelayClient.NewId(), RelayClient.NewId()];
        await alice.SendMessagesAsync([.. ids.Select(id => RelayClient.Message(id, bob.Account, 1, new byte[40 * 1024]))]);

        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob, "?batched=true");
        JsonArray first = (await ReceiveAsync(socket))["messages"]!.AsArray();
        JsonArray second = (await ReceiveAsync(socket))["messages"]!.AsArray();
        Assert.Equal([ids[0], ids[1]], first.Select(m => (string)m!["id"]!));
        Assert.Equal([ids[2]], second.Select(m => (string)m!["id"]!));
        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);
    }

    [Theory]
    [InlineData("?batched=maybe")]
    [InlineData("?batched=true&batched=false")]
    public async Task A_socket_with_a_bad_batched_value_is_refused_with_400(string query)
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", bob.Authorization().ToString());
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(new Uri(relay.BaseAddress, "/v1/websocket" + query)) { Scheme = "ws" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Messages_sent_while_the_socket_connects_and_after_arrive_once_each_in_order()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] ids = [.. Enumerable.Range(0, 400).Select(_ => RelayClient.NewId())];
        Task sending = Task.Run(async () =>
        {
            foreach (string[] chunk in ids.Chunk(20))
            {
                await alice.SendMessagesAsync([.. chunk.Select(id => RelayClient.Message(id, bob.Account, 1, [7]))]);
            }
        });

        // Connect while the sends are under way: part comes as backlog, part pushed live, some maybe both ways.
        await Task.Delay(50);
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        var received = new List<string>();
        while (received.Count < ids.Length)
        {
            JsonObject frame = await ReceiveAsync(socket);
            if ((string)frame["type"]! == "message")
            {
                received.Add((string)frame["message"]!["id"]!);
            }
        }

        await sending;
        Assert.Equal(ids, received);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Unacknowledged_messages_come_again_on_the_next_connection()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string id = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [1]));

        using (ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob))
        {
            Assert.Equal(id, (string)(await ReceiveAsync(socket))["message"]!["id"]!);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        using ClientWebSocket again = await TestSockets.ConnectAsync(relay, bob);
        Assert.Equal(id, (string)(await ReceiveAsync(again))["message"]!["id"]!);
        Assert.Equal("empty", (string)(await ReceiveAsync(again))["type"]!);
    }

    [Fact]
    public async Task Garbage_frames_are_ignored_and_the_socket_keeps_working()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);

        await socket.SendAsync(Encoding.UTF8.GetBytes("{not json"), WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.SendAsync(new byte[10_000], WebSocketMessageType.Text, true, CancellationToken.None);
        await socket.SendAsync(new byte[3], WebSocketMessageType.Binary, true, CancellationToken.None);
        await SendAsync(socket, new JsonObject { ["type"] = "ack", ["id"] = "NOT-A-UUID" });

        string id = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [1]));
        Assert.Equal(id, (string)(await ReceiveAsync(socket))["message"]!["id"]!);
    }

    [Fact]
    public async Task A_client_that_vanishes_leaves_no_subscription_behind()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        MessageNotifier notifier = relay.Server.Services.GetRequiredService<MessageNotifier>();
        ClientWebSocket socket = await TestSockets.ConnectAsync(relay, bob);
        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);
        Assert.True(IsSubscribed(notifier, bob));

        socket.Abort();
        socket.Dispose();

        RelayClient alice = await relay.NewClient().RegisterAsync();
        await alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        await EventuallyAsync(() => Task.FromResult(!IsSubscribed(notifier, bob)));
    }

    [Fact]
    public async Task Without_credentials_the_socket_is_refused_with_401()
    {
        using var socket = new ClientWebSocket();
        var uri = new Uri(relay.BaseAddress, "/v1/websocket");
        var ws = new UriBuilder(uri) { Scheme = "ws" }.Uri;
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ws, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_plain_get_of_the_socket_endpoint_is_400()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Get, "/v1/websocket");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private static bool IsSubscribed(MessageNotifier notifier, RelayClient client) =>
        notifier.CountSubscribers(new DeviceAddress(Guid.Parse(client.Account), client.Device)) > 0;

    /// <summary>Sends <paramref name="count"/> new messages from <paramref name="from"/> to <paramref name="to"/>'s device 1, in requests of 50; returns their ids in order.</summary>
    private static async Task<string[]> SendBacklogAsync(RelayClient from, RelayClient to, int count)
    {
        string[] ids = [.. Enumerable.Range(0, count).Select(_ => RelayClient.NewId())];
        foreach (string[] chunk in ids.Chunk(50))
        {
            await from.SendMessagesAsync([.. chunk.Select((id, i) => RelayClient.Message(id, to.Account, 1, [(byte)i]))]);
        }

        return ids;
    }

    /// <summary>Asserts that a per-message socket delivers exactly <paramref name="ids"/>, in order, then "empty".</summary>
    private static async Task ReceiveBacklogAsync(ClientWebSocket socket, string[] ids)
    {
        foreach (string id in ids)
        {
            Assert.Equal(id, (string)(await ReceiveAsync(socket))["message"]!["id"]!);
        }

        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);
    }
}
