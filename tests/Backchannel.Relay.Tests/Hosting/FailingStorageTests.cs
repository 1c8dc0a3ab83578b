using System.Net;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Hosting;

public sealed class FailingStorageTests(FailingStorageFixture relay) : IClassFixture<FailingStorageFixture>
{
    [Fact]
    public async Task A_storage_failure_on_send_is_503_problem()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), alice.Account, 1, [1])),
        });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_storage_failure_on_fetch_and_ack_is_503_problem()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage fetch = await alice.SendAsync(HttpMethod.Get, "/v1/messages");
        await ProblemAssert.IsProblemAsync(fetch, HttpStatusCode.ServiceUnavailable);
        using HttpResponseMessage ack = await alice.SendAsync(HttpMethod.Delete, $"/v1/messages/{RelayClient.NewId()}");
        await ProblemAssert.IsProblemAsync(ack, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Health_is_503_when_the_store_does_not_answer()
    {
        using HttpResponseMessage response = await relay.Http.GetAsync("/health");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
    }
}
