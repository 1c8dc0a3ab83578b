using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Backchannel.Relay.Tests.Hostile;

/// <summary>No input yields a 500: garbage bodies against every endpoint, with and without credentials.</summary>
public sealed class GarbageTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    private static readonly string[] Bodies =
    [
        "",
        "{",
        "}",
        "null",
        "true",
        "\"string\"",
        "12345678901234567890123456789",
        "[]",
        "[{}]",
        "{}",
        "{\"messages\": null}",
        "{\"messages\": [null]}",
        "{\"messages\": [{}]}",
        "{\"messages\": {\"id\": 1}}",
        "{\"messages\": [{\"id\": [], \"to\": {}, \"device\": \"x\", \"type\": 1e400, \"content\": 5}]}",
        "{\"messages\": [{\"device\": 99999999999999999999, \"type\": -1}]}",
        "{\"ids\": [1, null, {}]}",
        "{\"ids\": \"abc\"}",
        "{\"credential\": 5, \"registrationId\": \"x\"}",
        "{\"credential\": null, \"registrationId\": -1, \"identityKey\": 1}",
        "{\"signedPreKey\": [], \"preKeys\": {}, \"kyberPreKeys\": [null, 1]}",
        "{\"signedPreKey\": {\"id\": -1}, \"kyberLastResortPreKey\": {\"id\": 4294967296}}",
        "{\"preKeys\": [{\"id\": 1.5, \"publicKey\": \"AA==\"}]}",
        "{\"a\":" + new string('[', 5000) + new string(']', 5000) + "}",
        "\u0000\u0001\u0002\uFFFD",
        "{\"messages\": [{\"id\": \"\uD800\"}]}",
    ];

    private static readonly (string Method, string Path)[] Endpoints =
    [
        ("POST", "/v1/accounts"),
        ("PUT", "/v1/keys"),
        ("GET", "/v1/keys/count"),
        ("GET", "/v1/keys/../../etc/passwd"),
        ("GET", "/v1/keys/00000000-0000-0000-0000-000000000000/*"),
        ("POST", "/v1/messages"),
        ("GET", "/v1/messages?limit=99999999999999999999"),
        ("GET", "/v1/messages?limit=1&limit=2"),
        ("DELETE", "/v1/messages/%20"),
        ("POST", "/v1/messages/ack"),
        ("GET", "/v1/websocket"),
        ("GET", "/health"),
        ("PATCH", "/v1/messages"),
    ];

    [Fact]
    public async Task Garbage_on_every_endpoint_never_yields_a_5xx()
    {
        RelayClient client = await relay.NewClient().RegisterAsync();
        AuthenticationHeaderValue?[] headers = [null, client.Authorization()];
        foreach ((string method, string path) in Endpoints)
        {
            foreach (string body in Bodies)
            {
                foreach (AuthenticationHeaderValue? header in headers)
                {
                    using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using HttpResponseMessage response = await client.SendRawAsync(new HttpMethod(method), path, content, header);
                    int status = (int)response.StatusCode;
                    Assert.True(status < 500, $"{method} {path} with body {body[..Math.Min(body.Length, 40)]} gave {status}");
                    if (status >= 400)
                    {
                        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{method} {path} body {body[..Math.Min(body.Length, 40)]} auth {header is not null}: {status} {response.Content.Headers.ContentType}");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task A_request_kestrel_refuses_before_routing_is_a_bare_4xx_not_a_5xx()
    {
        // A NUL in the path is malformed HTTP: Kestrel answers 400 itself, before any middleware can add a body.
        using HttpResponseMessage response = await relay.Http.GetAsync("/v1/keys/%00/1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_huge_authorization_header_is_refused_without_a_5xx()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/messages");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + new string('A', 10_000));
        using HttpResponseMessage response = await relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
