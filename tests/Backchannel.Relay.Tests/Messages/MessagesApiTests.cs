using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Messages;

public sealed class MessagesApiTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task A_sent_message_is_fetched_by_its_recipient_with_sender_and_content_then_acknowledged_away()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string id = RelayClient.NewId();
        byte[] content = RandomNumberGenerator.GetBytes(200);

        JsonObject sent = await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, content, type: 3));
        JsonObject result = sent["results"]![0]!.AsObject();
        Assert.Equal(id, (string)result["id"]!);
        Assert.Equal("stored", (string)result["status"]!);

        JsonObject fetched = await bob.FetchAsync();
        Assert.False((bool)fetched["more"]!);
        JsonObject message = fetched["messages"]!.AsArray().Single()!.AsObject();
        Assert.Equal(id, (string)message["id"]!);
        Assert.Equal(alice.Account, (string)message["source"]!);
        Assert.Equal(1, (int)message["sourceDevice"]!);
        Assert.Equal(3, (int)message["type"]!);
        Assert.Equal(content, Convert.FromBase64String((string)message["content"]!));
        Assert.InRange((long)message["serverTimestamp"]!, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        Assert.Single((await bob.FetchAsync())["messages"]!.AsArray());
        using HttpResponseMessage ack = await bob.SendAsync(HttpMethod.Delete, $"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());

        using HttpResponseMessage again = await bob.SendAsync(HttpMethod.Delete, $"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task A_retried_send_is_stored_once_and_reported_duplicate()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        JsonObject message = RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1, 2, 3]);

        Assert.Equal("stored", (string)(await alice.SendMessagesAsync(message))["results"]![0]!["status"]!);
        Assert.Equal("duplicate", (string)(await alice.SendMessagesAsync((JsonObject)message.DeepClone()))["results"]![0]!["status"]!);

        Assert.Single((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task Bulk_ack_deletes_the_named_messages()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] ids = [RelayClient.NewId(), RelayClient.NewId(), RelayClient.NewId()];
        await alice.SendMessagesAsync([.. ids.Select(id => RelayClient.Message(id, bob.Account, 1, [9]))]);

        using HttpResponseMessage ack = await bob.SendAsync(HttpMethod.Post, "/v1/messages/ack", new JsonObject { ["ids"] = new JsonArray(ids[0], ids[2], RelayClient.NewId()) });
        Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
        JsonObject left = await bob.FetchAsync();
        Assert.Equal(ids[1], (string)left["messages"]![0]!["id"]!);
        Assert.Single(left["messages"]!.AsArray());
    }

    [Fact]
    public async Task Fetch_pages_oldest_first_and_reports_more()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string[] ids = [.. Enumerable.Range(0, 5).Select(_ => RelayClient.NewId())];
        foreach (string id in ids)
        {
            await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [1]));
        }

        JsonObject page = await bob.FetchAsync(limit: 2);
        Assert.True((bool)page["more"]!);
        Assert.Equal(ids[..2], page["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        JsonObject all = await bob.FetchAsync(limit: 500);
        Assert.False((bool)all["more"]!);
        Assert.Equal(ids, all["messages"]!.AsArray().Select(m => (string)m!["id"]!));
    }

    [Fact]
    public async Task Fifty_parallel_sends_are_all_stored()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();

        JsonObject[] answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, RandomNumberGenerator.GetBytes(64)))));

        Assert.All(answers, a => Assert.Equal("stored", (string)a["results"]![0]!["status"]!));
        Assert.Equal(50, (await bob.FetchAsync(limit: 500))["messages"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("501")]
    [InlineData("abc")]
    [InlineData("-5")]
    public async Task A_fetch_limit_outside_1_to_500_is_400(string limit)
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Get, $"/v1/messages?limit={limit}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_message_to_oneself_is_delivered()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        await alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), alice.Account, 1, [7]));
        Assert.Single((await alice.FetchAsync())["messages"]!.AsArray());
    }
}
