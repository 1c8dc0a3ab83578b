using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Hostile;

/// <summary>Requests from someone who should get nothing: each is refused with a problem detail and changes nothing.</summary>
public sealed class HostileTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    public static TheoryData<string, string> AuthenticatedEndpoints => new()
    {
        { "PUT", "/v1/keys" },
        { "GET", "/v1/keys/count" },
        { "GET", $"/v1/keys/{Guid.NewGuid():D}/1" },
        { "POST", "/v1/messages" },
        { "GET", "/v1/messages" },
        { "DELETE", $"/v1/messages/{Guid.NewGuid():D}" },
        { "POST", "/v1/messages/ack" },
        { "GET", "/v1/websocket" },
    };

    [Theory]
    [MemberData(nameof(AuthenticatedEndpoints))]
    public async Task Without_credentials_every_authenticated_endpoint_is_401(string method, string path)
    {
        RelayClient anonymous = relay.NewClient();
        using HttpResponseMessage response = await anonymous.SendRawAsync(new HttpMethod(method), path, RelayClient.Json(new JsonObject()), null);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("unknown account")]
    [InlineData("other device")]
    [InlineData("not basic")]
    [InlineData("not base64")]
    [InlineData("no colon")]
    [InlineData("uppercase account")]
    public async Task Wrong_credentials_are_401_and_change_nothing(string kind)
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        AuthenticationHeaderValue header = kind switch
        {
            "wrong secret" => bob.Authorization(TestKeys.Credential()),
            "unknown account" => RelayClient.Basic($"{RelayClient.NewId()}.1", bob.Credential),
            "other device" => RelayClient.Basic($"{bob.Account}.2", bob.Credential),
            "not basic" => new AuthenticationHeaderValue("Bearer", bob.Credential),
            "not base64" => new AuthenticationHeaderValue("Basic", "%%%"),
            "no colon" => new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{bob.Account}.1{bob.Credential}"))),
            _ => RelayClient.Basic($"{bob.Account.ToUpperInvariant()}.1", bob.Credential),
        };

        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Put, "/v1/keys", new JsonObject { ["preKeys"] = new JsonArray(RelayClient.PreKey(50)) }, header);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(3, (int)(await bob.GetJsonAsync("/v1/keys/count"))["preKeys"]!);
    }

    [Fact]
    public async Task Another_account_cannot_fetch_or_acknowledge_someone_elses_messages()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        RelayClient mallory = await relay.NewClient().RegisterAsync();
        string id = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [42]));

        Assert.Empty((await mallory.FetchAsync())["messages"]!.AsArray());
        using HttpResponseMessage delete = await mallory.SendAsync(HttpMethod.Delete, $"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using HttpResponseMessage ack = await mallory.SendAsync(HttpMethod.Post, "/v1/messages/ack", new JsonObject { ["ids"] = new JsonArray(id) });
        Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
        using HttpResponseMessage withBobsAccount = await mallory.SendAsync(HttpMethod.Get, "/v1/messages", authorization: RelayClient.Basic($"{bob.Account}.1", mallory.Credential));
        await ProblemAssert.IsProblemAsync(withBobsAccount, HttpStatusCode.Unauthorized);

        Assert.Equal(id, (string)(await bob.FetchAsync())["messages"]![0]!["id"]!);
    }

    [Fact]
    public async Task An_oversized_body_is_413_and_stores_nothing()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        JsonObject[] messages = [.. Enumerable.Range(0, 20).Select(_ => RelayClient.Message(RelayClient.NewId(), bob.Account, 1, new byte[60_000]))];

        // Expect: 100-continue lets the relay refuse before the body is sent; otherwise the client may still be
        // writing when the relay answers and closes, and see a reset instead of the answer (an HTTP/1.1 race).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = RelayClient.Json(new JsonObject { ["messages"] = new JsonArray(messages) }) };
        request.Headers.Authorization = alice.Authorization();
        request.Headers.ExpectContinue = true;
        using HttpResponseMessage response = await relay.Http.SendAsync(request);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task An_oversized_chunked_body_is_413()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"messages\":[" + new string(' ', 1_100_000) + "]}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = content };
        request.Headers.Authorization = alice.Authorization();
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        using HttpResponseMessage response = await relay.Http.SendAsync(request);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_message_content_over_64_KiB_is_400_and_stores_nothing()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, new byte[64 * 1024 + 1])),
        });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Theory]
    [InlineData("{\"messages\": [")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("{\"messages\": [{\"id\": 5}]}")]
    public async Task Malformed_json_is_400_and_stores_nothing(string body)
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await alice.SendRawAsync(HttpMethod.Post, "/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"), alice.Authorization());
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty((await alice.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task Bad_base64_is_400_and_stores_nothing()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        JsonObject message = RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]);
        message["content"] = "not*base64!";
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject { ["messages"] = new JsonArray(message) });
        JsonObject problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("content", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());

        using HttpResponseMessage keys = await bob.SendAsync(HttpMethod.Put, "/v1/keys", new JsonObject
        {
            ["preKeys"] = new JsonArray(new JsonObject { ["id"] = 9, ["publicKey"] = "@@@@" }),
        });
        await ProblemAssert.IsProblemAsync(keys, HttpStatusCode.BadRequest);
        Assert.Equal(3, (int)(await bob.GetJsonAsync("/v1/keys/count"))["preKeys"]!);
    }

    [Fact]
    public async Task An_unknown_recipient_is_404_and_nothing_of_the_request_is_stored()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        foreach (JsonObject stranger in new[]
        {
            RelayClient.Message(RelayClient.NewId(), RelayClient.NewId(), 1, [2]),
            RelayClient.Message(RelayClient.NewId(), bob.Account, 2, [2]),
        })
        {
            using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
            {
                ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]), stranger),
            });
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        }

        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task More_than_100_messages_in_one_request_is_400_and_stores_nothing()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray([.. Enumerable.Range(0, 101).Select(_ => (JsonNode)RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]))]),
        });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Theory]
    [InlineData("id", "ABCDEF00-0000-0000-0000-000000000000")]
    [InlineData("id", "not-a-uuid")]
    [InlineData("to", "00000000000000000000000000000000")]
    [InlineData("device", 0)]
    [InlineData("device", 128)]
    [InlineData("type", 0)]
    [InlineData("type", 256)]
    public async Task A_message_field_out_of_range_is_400_and_stores_nothing(string field, object value)
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        JsonObject message = RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]);
        message[field] = JsonValue.Create(value);
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject { ["messages"] = new JsonArray(message) });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task The_61st_bundle_fetch_in_a_minute_is_429_and_takes_no_key()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync(preKeys: 0, kyberPreKeys: 0);
        for (int i = 0; i < 60; i++)
        {
            using HttpResponseMessage ok = await alice.SendAsync(HttpMethod.Get, $"/v1/keys/{bob.Account}/1");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using HttpResponseMessage upload = await bob.SendAsync(HttpMethod.Put, "/v1/keys", new JsonObject { ["preKeys"] = new JsonArray(RelayClient.PreKey(1)) });
        Assert.Equal(HttpStatusCode.NoContent, upload.StatusCode);
        using HttpResponseMessage limited = await alice.SendAsync(HttpMethod.Get, $"/v1/keys/{bob.Account}/1");
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal(1, (int)(await bob.GetJsonAsync("/v1/keys/count"))["preKeys"]!);

        using HttpResponseMessage otherCaller = await bob.SendAsync(HttpMethod.Get, $"/v1/keys/{bob.Account}/1");
        Assert.Equal(HttpStatusCode.OK, otherCaller.StatusCode);
    }

    [Fact]
    public async Task Sending_more_than_600_messages_a_minute_is_429_and_stores_nothing_of_that_request()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        for (int request = 0; request < 6; request++)
        {
            await alice.SendMessagesAsync([.. Enumerable.Range(0, 100).Select(_ => RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]))]);
        }

        using HttpResponseMessage limited = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])),
        });
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal(600, (await bob.FetchAsync(limit: 500))["messages"]!.AsArray().Count + (await CountAfterFirstPageAsync(bob)));
    }

    [Fact]
    public async Task Unknown_routes_are_404_and_wrong_methods_405_as_problems()
    {
        using HttpResponseMessage notFound = await relay.Http.GetAsync("/v1/nothing-here");
        await ProblemAssert.IsProblemAsync(notFound, HttpStatusCode.NotFound);
        using HttpResponseMessage wrongMethod = await relay.Http.DeleteAsync("/v1/accounts");
        await ProblemAssert.IsProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
    }

    private static async Task<int> CountAfterFirstPageAsync(RelayClient bob)
    {
        JsonObject first = await bob.FetchAsync(limit: 500);
        string[] ids = [.. first["messages"]!.AsArray().Select(m => (string)m!["id"]!)];
        using HttpResponseMessage ack = await bob.SendAsync(HttpMethod.Post, "/v1/messages/ack", new JsonObject { ["ids"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]) });
        return (await bob.FetchAsync(limit: 500))["messages"]!.AsArray().Count;
    }
}
