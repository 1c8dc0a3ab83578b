using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests.Messages;

/// <summary>Sealed delivery: no Authorization, the recipient's access key instead, and no trace of the sender.</summary>
public sealed class SealedSendTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    public static async Task<HttpResponseMessage> SendSealedAsync(HttpClient http, byte[]? accessKey, params JsonObject[] messages)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/sealed")
        {
            Content = RelayClient.Json(new JsonObject { ["messages"] = new JsonArray([.. messages]) }),
        };
        if (accessKey is not null)
        {
            request.Headers.Add("Unidentified-Access-Key", Convert.ToBase64String(accessKey));
        }

        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_sealed_message_arrives_with_no_source_by_fetch_and_by_websocket()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        RelayClient bob = await relay.NewClient().RegisterAsync(accessKey: key);
        string id = RelayClient.NewId();
        using HttpResponseMessage sent = await SendSealedAsync(relay.Http, key, RelayClient.Message(id, bob.Account, 1, [7, 7], type: 6));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal("stored", (string)(await sent.Content.ReadFromJsonAsync<JsonObject>())!["results"]![0]!["status"]!);

        JsonObject message = (await bob.FetchAsync())["messages"]![0]!.AsObject();
        Assert.Equal(id, (string)message["id"]!);
        Assert.True(message.ContainsKey("source") && message["source"] is null);
        Assert.True(message.ContainsKey("sourceDevice") && message["sourceDevice"] is null);
        Assert.True((bool)message["sealed"]!);
        Assert.Equal(6, (int)message["type"]!);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", bob.Authorization().ToString());
        await socket.ConnectAsync(new UriBuilder(new Uri(relay.BaseAddress, "/v1/websocket")) { Scheme = "ws" }.Uri, CancellationToken.None);
        var buffer = new byte[8192];
        WebSocketReceiveResult frame = await socket.ReceiveAsync(buffer, CancellationToken.None);
        JsonObject pushed = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, frame.Count))!["message"]!.AsObject();
        Assert.Null(pushed["source"]);
        Assert.Null(pushed["sourceDevice"]);
        Assert.True((bool)pushed["sealed"]!);
    }

    [Fact]
    public async Task An_ordinary_message_says_sealed_false()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        await alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), alice.Account, 1, [1]));
        JsonObject message = (await alice.FetchAsync())["messages"]![0]!.AsObject();
        Assert.False((bool)message["sealed"]!);
        Assert.Equal(alice.Account, (string)message["source"]!);
    }

    [Fact]
    public async Task Wrong_missing_or_unset_keys_and_unknown_accounts_all_get_the_same_401()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        RelayClient bob = await relay.NewClient().RegisterAsync(accessKey: key);
        RelayClient carol = await relay.NewClient().RegisterAsync();
        var details = new List<string>();
        foreach ((string to, byte[]? header) in new[]
        {
            (bob.Account, RandomNumberGenerator.GetBytes(16)),
            (carol.Account, key),
            (RelayClient.NewId(), key),
        })
        {
            using HttpResponseMessage response = await SendSealedAsync(relay.Http, header, RelayClient.Message(RelayClient.NewId(), to, 1, [1]));
            details.Add((string)(await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized))["detail"]!);
        }

        Assert.Single(details.Distinct());
        using HttpResponseMessage missing = await SendSealedAsync(relay.Http, null, RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.Unauthorized);
        using HttpResponseMessage shortKey = await SendSealedAsync(relay.Http, key[..15], RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        await ProblemAssert.IsProblemAsync(shortKey, HttpStatusCode.Unauthorized);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
        Assert.Empty((await carol.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task A_sealed_send_to_two_accounts_or_with_an_authorization_header_is_400()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        RelayClient bob = await relay.NewClient().RegisterAsync(accessKey: key);
        RelayClient carol = await relay.NewClient().RegisterAsync(accessKey: key);
        using HttpResponseMessage two = await SendSealedAsync(relay.Http, key,
            RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]), RelayClient.Message(RelayClient.NewId(), carol.Account, 1, [1]));
        await ProblemAssert.IsProblemAsync(two, HttpStatusCode.BadRequest);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/sealed")
        {
            Content = RelayClient.Json(new JsonObject { ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1])) }),
        };
        request.Headers.Add("Unidentified-Access-Key", Convert.ToBase64String(key));
        request.Headers.Authorization = carol.Authorization();
        using HttpResponseMessage named = await relay.Http.SendAsync(request);
        await ProblemAssert.IsProblemAsync(named, HttpStatusCode.BadRequest);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task Rotating_the_access_key_refuses_the_old_one()
    {
        byte[] first = RandomNumberGenerator.GetBytes(16);
        byte[] second = RandomNumberGenerator.GetBytes(16);
        RelayClient bob = await relay.NewClient().RegisterAsync(accessKey: first);
        using HttpResponseMessage rotate = await bob.SendAsync(HttpMethod.Put, "/v1/accounts/access-key", new JsonObject { ["accessKey"] = Convert.ToBase64String(second) });
        Assert.Equal(HttpStatusCode.NoContent, rotate.StatusCode);
        using HttpResponseMessage bad = await bob.SendAsync(HttpMethod.Put, "/v1/accounts/access-key", new JsonObject { ["accessKey"] = Convert.ToBase64String(new byte[15]) });
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest);

        using HttpResponseMessage old = await SendSealedAsync(relay.Http, first, RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        await ProblemAssert.IsProblemAsync(old, HttpStatusCode.Unauthorized);
        using HttpResponseMessage current = await SendSealedAsync(relay.Http, second, RelayClient.Message(RelayClient.NewId(), bob.Account, 1, [1]));
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task A_registration_with_an_access_key_of_the_wrong_size_is_400()
    {
        JsonObject body = RelayClient.RegistrationBody(TestKeys.Credential());
        body["accessKey"] = Convert.ToBase64String(new byte[17]);
        using HttpResponseMessage response = await relay.Http.PostAsync("/v1/accounts", RelayClient.Json(body));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
