using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Backchannel.Relay.Storage;
using Microsoft.Extensions.DependencyInjection;
using static Backchannel.Relay.Tests.WebSockets.TestSockets;

namespace Backchannel.Relay.Tests.WebSockets;

/// <summary><c>"send"</c> frames on the socket: the same send as <c>POST /v1/messages</c>, answered by a <c>"sent"</c> frame.</summary>
public sealed class WebSocketSendTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task A_send_frame_is_stored_answered_with_the_results_and_pushed_to_the_recipient()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using ClientWebSocket aliceSocket = await ConnectAsync(relay, alice, "?batched=true");
        using ClientWebSocket bobSocket = await ConnectAsync(relay, bob, "?batched=true");
        Assert.Equal("empty", (string)(await ReceiveAsync(aliceSocket))["type"]!);
        Assert.Equal("empty", (string)(await ReceiveAsync(bobSocket))["type"]!);

        string first = RelayClient.NewId();
        string second = RelayClient.NewId();
        await SendAsync(aliceSocket, Send("r1", RelayClient.Message(first, bob.Account, 1, [1]), RelayClient.Message(second, bob.Account, 1, [2], type: 3)));
        JsonObject sent = await ReceiveAsync(aliceSocket);
        Assert.Equal("sent", (string)sent["type"]!);
        Assert.Equal("r1", (string)sent["requestId"]!);
        Assert.Equal(200, (int)sent["status"]!);
        Assert.Equal([(first, "stored"), (second, "stored")], Results(sent));

        JsonArray pushed = (await ReceiveAsync(bobSocket))["messages"]!.AsArray();
        Assert.Equal([first, second], pushed.Select(m => (string)m!["id"]!));
        Assert.Equal(alice.Account, (string)pushed[1]!["source"]!);
        Assert.Equal(3, (int)pushed[1]!["type"]!);
        Assert.Equal([2], Convert.FromBase64String((string)pushed[1]!["content"]!));

        // A retry of the same message is a duplicate, as over HTTP, and is not stored again.
        await SendAsync(aliceSocket, Send("r2", RelayClient.Message(first, bob.Account, 1, [1])));
        Assert.Equal([(first, "duplicate")], Results(await ReceiveAsync(aliceSocket)));
        Assert.Equal(2, (await bob.FetchAsync())["messages"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_refused_send_frame_gets_the_status_and_detail_post_messages_would_give_and_stores_nothing()
    {
        (RelayClient alice, RelayClient bob, ClientWebSocket socket) = await AliceConnectedAsync();
        using ClientWebSocket _ = socket;

        JsonObject[][] refused =
        [
            [RelayClient.Message(RelayClient.NewId(), bob.Account, 5, [1])],
            [RelayClient.Message(RelayClient.NewId(), "NOT-A-UUID", 1, [1])],
            [RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1], type: 0)],
            [],
        ];
        foreach (JsonObject[] messages in refused)
        {
            using HttpResponseMessage http = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
            {
                ["messages"] = new JsonArray([.. messages.Select(m => (JsonNode)m.DeepClone())]),
            });
            JsonObject problem = (await http.Content.ReadFromJsonAsync<JsonObject>())!;

            await SendAsync(socket, Send("refused", messages));
            JsonObject sent = await ReceiveAsync(socket);
            Assert.Equal("refused", (string)sent["requestId"]!);
            Assert.Equal((int)http.StatusCode, (int)sent["status"]!);
            Assert.InRange((int)sent["status"]!, 400, 499);
            Assert.Equal((string)problem["title"]!, (string)sent["title"]!);
            Assert.Equal((string)problem["detail"]!, (string)sent["detail"]!);
            Assert.False(sent.ContainsKey("results"));
        }

        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task A_send_frame_that_does_not_deserialize_is_400_and_one_without_a_request_id_gets_no_answer()
    {
        (RelayClient alice, RelayClient bob, ClientWebSocket socket) = await AliceConnectedAsync();
        using ClientWebSocket _ = socket;

        JsonObject badBase64 = RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]);
        badBase64["content"] = "not base64!";
        await SendAsync(socket, Send("bad", badBase64));
        JsonObject sent = await ReceiveAsync(socket);
        Assert.Equal("bad", (string)sent["requestId"]!);
        Assert.Equal(400, (int)sent["status"]!);
        Assert.Contains("$.messages[0].content", (string)sent["detail"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("not base64", (string)sent["detail"]!, StringComparison.Ordinal);

        // Without a usable requestId nothing could match an answer: those frames are ignored, and store nothing.
        JsonObject noId = Send("x", RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        noId.Remove("requestId");
        await SendAsync(socket, noId);
        await SendAsync(socket, Send(new string('r', 65), RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])));
        await SendAsync(socket, Send("", RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])));

        string good = RelayClient.NewId();
        string longestId = new('r', 64);
        await SendAsync(socket, Send(longestId, RelayClient.Message(good, bob.Account, 1, [1])));
        JsonObject next = await ReceiveAsync(socket);
        Assert.Equal(longestId, (string)next["requestId"]!);
        Assert.Equal(200, (int)next["status"]!);
        Assert.Equal(good, (string)Assert.Single((await bob.FetchAsync())["messages"]!.AsArray())!["id"]!);
    }

    [Fact]
    public async Task Send_frames_and_post_messages_count_against_the_same_per_device_limit()
    {
        (RelayClient alice, RelayClient bob, ClientWebSocket socket) = await AliceConnectedAsync();
        using ClientWebSocket _ = socket;

        // 600 a minute: 500 over HTTP and 100 over the socket take them all.
        for (int i = 0; i < 5; i++)
        {
            await alice.SendMessagesAsync([.. Enumerable.Range(0, 100).Select(_ => RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]))]);
        }

        await SendAsync(socket, Send("last-100", [.. Enumerable.Range(0, 100).Select(_ => RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]))]));
        Assert.Equal(200, (int)(await ReceiveAsync(socket))["status"]!);

        await SendAsync(socket, Send("one-more", RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])));
        JsonObject sent = await ReceiveAsync(socket);
        Assert.Equal(429, (int)sent["status"]!);
        Assert.Contains("at most 600 messages a minute", (string)sent["detail"]!, StringComparison.Ordinal);

        using HttpResponseMessage http = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])),
        });
        Assert.Equal(HttpStatusCode.TooManyRequests, http.StatusCode);
        IMessageStore store = relay.Server.Services.GetRequiredService<IMessageStore>();
        Assert.Equal(600, await store.CountAsync(new DeviceAddress(Guid.Parse(bob.Account), 1), CancellationToken.None));
    }

    [Fact]
    public async Task Answers_and_pushes_share_the_socket_whole_and_answers_keep_the_order_of_the_sends()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using ClientWebSocket socket = await ConnectAsync(relay, alice, "?batched=true");
        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);

        // Sent to herself without waiting for answers: the relay pushes while it answers, on the one socket.
        string[][] requests = [.. Enumerable.Range(0, 30).Select(_ => Enumerable.Range(0, 5).Select(_ => RelayClient.NewId()).ToArray())];
        for (int r = 0; r < requests.Length; r++)
        {
            await SendAsync(socket, Send($"r{r}", [.. requests[r].Select(id => RelayClient.Message(id, alice.Account, 1, [(byte)r]))]));
        }

        var answers = new List<string>();
        var pushed = new List<string>();
        while (answers.Count < requests.Length || pushed.Count < requests.Length * 5)
        {
            JsonObject frame = await ReceiveAsync(socket);
            switch ((string)frame["type"]!)
            {
                case "sent":
                    Assert.Equal(200, (int)frame["status"]!);
                    answers.Add((string)frame["requestId"]!);
                    break;
                case "messages":
                    pushed.AddRange(frame["messages"]!.AsArray().Select(m => (string)m!["id"]!));
                    break;
                default:
                    Assert.Fail("unexpected frame " + frame.ToJsonString());
                    break;
            }
        }

        Assert.Equal(Enumerable.Range(0, requests.Length).Select(r => $"r{r}"), answers);
        Assert.Equal(requests.SelectMany(ids => ids), pushed);
    }

    [Fact]
    public async Task A_send_frame_over_4_KiB_is_taken_one_over_1_MiB_is_413_and_the_socket_goes_on()
    {
        (RelayClient alice, RelayClient bob, ClientWebSocket socket) = await AliceConnectedAsync();
        using ClientWebSocket _ = socket;

        // ~16 KiB of base64: four times the limit of other frames.
        string[] large = [RelayClient.NewId(), RelayClient.NewId(), RelayClient.NewId()];
        await SendAsync(socket, Send("large", [.. large.Select(id => RelayClient.Message(id, bob.Account, 1, new byte[4000]))]));
        Assert.Equal(3, Results(await ReceiveAsync(socket)).Count);

        // Two messages of 600 KiB: over the 1 MiB of a request body (and each over the content limit).
        JsonObject tooLarge = Send("too-large", [.. Enumerable.Range(0, 2).Select(_ => RelayClient.Message(RelayClient.NewId(), bob.Account, 1, new byte[600 * 1024]))]);
        await SendAsync(socket, tooLarge);
        JsonObject refused = await ReceiveAsync(socket);
        Assert.Equal("too-large", (string)refused["requestId"]!);
        Assert.Equal(413, (int)refused["status"]!);
        Assert.Contains("nothing was stored", (string)refused["detail"]!, StringComparison.Ordinal);

        string after = RelayClient.NewId();
        await SendAsync(socket, Send("after", RelayClient.Message(after, bob.Account, 1, [9])));
        Assert.Equal([(after, "stored")], Results(await ReceiveAsync(socket)));
        Assert.Equal([.. large, after], (await bob.FetchAsync())["messages"]!.AsArray().Select(m => (string)m!["id"]!));
    }

    /// <summary>Two new accounts, and Alice's socket past its (empty) backlog.</summary>
    private async Task<(RelayClient Alice, RelayClient Bob, ClientWebSocket Socket)> AliceConnectedAsync()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        ClientWebSocket socket = await ConnectAsync(relay, alice);
        Assert.Equal("empty", (string)(await ReceiveAsync(socket))["type"]!);
        return (alice, bob, socket);
    }

    private static JsonObject Send(string requestId, params JsonObject[] messages) => new()
    {
        ["type"] = "send",
        ["requestId"] = requestId,
        ["messages"] = new JsonArray([.. messages]),
    };

    private static List<(string Id, string Status)> Results(JsonObject sent)
    {
        Assert.Equal("sent", (string)sent["type"]!);
        Assert.Equal(200, (int)sent["status"]!);
        return [.. sent["results"]!.AsArray().Select(r => ((string)r!["id"]!, (string)r["status"]!))];
    }
}
