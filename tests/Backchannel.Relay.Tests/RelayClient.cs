using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests;

/// <summary>A test's view of one device of one account, speaking raw JSON so tests see exactly what the wire carries.</summary>
public sealed class RelayClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public string Account { get; private set; } = "";

    public int Device { get; private set; } = 1;

    public string Credential { get; private set; } = "";

    public static JsonObject SignedKey(int id, byte[] publicKey) =>
        new() { ["id"] = id, ["publicKey"] = Convert.ToBase64String(publicKey), ["signature"] = Convert.ToBase64String(TestKeys.Signature()) };

    public static JsonObject PreKey(int id) => new() { ["id"] = id, ["publicKey"] = Convert.ToBase64String(TestKeys.Ec()) };

    public static JsonObject RegistrationBody(string credential, int preKeys = 3, int kyberPreKeys = 3, int firstId = 1)
    {
        var body = new JsonObject
        {
            ["credential"] = credential,
            ["registrationId"] = 1234,
            ["identityKey"] = Convert.ToBase64String(TestKeys.Ec()),
            ["signedPreKey"] = SignedKey(1, TestKeys.Ec()),
            ["kyberLastResortPreKey"] = SignedKey(1000, TestKeys.Kyber()),
            ["preKeys"] = new JsonArray([.. Enumerable.Range(firstId, preKeys).Select(i => (JsonNode)PreKey(i))]),
            ["kyberPreKeys"] = new JsonArray([.. Enumerable.Range(firstId, kyberPreKeys).Select(i => (JsonNode)SignedKey(i, TestKeys.Kyber()))]),
        };
        return body;
    }

    public byte[] IdentityKey { get; private set; } = [];

    public async Task<RelayClient> RegisterAsync(int preKeys = 3, int kyberPreKeys = 3, byte[]? accessKey = null)
    {
        Credential = TestKeys.Credential();
        JsonObject body = RegistrationBody(Credential, preKeys, kyberPreKeys);
        IdentityKey = Convert.FromBase64String((string)body["identityKey"]!);
        if (accessKey is not null)
        {
            body["accessKey"] = Convert.ToBase64String(accessKey);
        }

        using HttpResponseMessage response = await Http.PostAsync("/v1/accounts", Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        JsonObject answer = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Account = (string)answer["account"]!;
        Device = (int)answer["device"]!;
        return this;
    }

    /// <summary>Links a new device to this client's account (link token, then <c>POST /v1/devices</c>) and returns it.</summary>
    public async Task<RelayClient> LinkNewDeviceAsync(string? name = null, int preKeys = 2)
    {
        JsonObject token = await PostJsonAsync("/v1/devices/link-token");
        var linked = new RelayClient(Http) { Credential = TestKeys.Credential(), IdentityKey = IdentityKey };
        JsonObject body = LinkBody(Account, (string)token["token"]!, linked.Credential, name, preKeys);
        using HttpResponseMessage response = await Http.PostAsync("/v1/devices", Json(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        JsonObject answer = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(Account, (string)answer["account"]!);
        linked.Account = Account;
        linked.Device = (int)answer["device"]!;
        return linked;
    }

    public static JsonObject LinkBody(string account, string token, string credential, string? name = null, int preKeys = 2)
    {
        JsonObject body = RegistrationBody(credential, preKeys, preKeys, firstId: 100);
        body.Remove("identityKey");
        body["account"] = account;
        body["linkToken"] = token;
        body["registrationId"] = 4321;
        if (name is not null)
        {
            body["name"] = name;
        }

        return body;
    }

    public async Task<JsonObject> PostJsonAsync(string path, JsonNode? body = null)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public AuthenticationHeaderValue Authorization(string? credential = null) =>
        Basic($"{Account}.{Device}", credential ?? Credential);

    public static AuthenticationHeaderValue Basic(string user, string credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{credential}")));

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null, AuthenticationHeaderValue? authorization = null) =>
        SendRawAsync(method, path, body is null ? null : Json(body), authorization ?? Authorization());

    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = authorization;
        return await Http.SendAsync(request);
    }

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static JsonObject Message(string id, string to, int device, byte[] content, int type = 1) =>
        new() { ["id"] = id, ["to"] = to, ["device"] = device, ["type"] = type, ["content"] = Convert.ToBase64String(content) };

    public async Task<JsonObject> SendMessagesAsync(params JsonObject[] messages)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject { ["messages"] = new JsonArray([.. messages]) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public Task<JsonObject> FetchAsync(int? limit = null) => GetJsonAsync(limit is null ? "/v1/messages" : $"/v1/messages?limit={limit}");

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static string NewId() => Guid.NewGuid().ToString("D");
}
