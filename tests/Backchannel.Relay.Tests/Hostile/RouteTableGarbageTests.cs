using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backchannel.Relay.Tests.Hostile;

/// <summary>No input yields a 500, for every endpoint in the route table (so new endpoints are covered as they come).</summary>
public sealed class RouteTableGarbageTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    private static readonly string[] Bodies =
    [
        "", "{", "null", "[]", "{}", "\"x\"", "1e400",
        "{\"message\": 5}", "{\"message\": \"@@@\"}", "{\"accessKey\": []}", "{\"accessKey\": \"AAAA\"}",
        "{\"account\": \"\uD800\", \"linkToken\": 1, \"credential\": {}, \"registrationId\": 1e10, \"name\": []}",
        "{\"account\": \"00000000-0000-0000-0000-000000000000\", \"linkToken\": \"" + new string('a', 43) + "\", \"credential\": \"" + new string('b', 43) + "\", \"registrationId\": 1, \"signedPreKey\": {}, \"kyberLastResortPreKey\": {}}",
        "{\"messages\": [{\"id\": \"00000000-0000-0000-0000-000000000000\", \"to\": \"00000000-0000-0000-0000-000000000000\", \"device\": 1, \"type\": 1, \"content\": \"AA==\"}]}",
        "{\"a\":" + new string('[', 3000) + new string(']', 3000) + "}",
    ];

    private static readonly string[] RouteValues = ["%20", "x", "00000000-0000-0000-0000-000000000000", "0", "128", "*", "..", "99999999999999999999"];

    [Fact]
    public async Task Garbage_on_every_routed_endpoint_never_yields_a_5xx_and_every_4xx_is_a_problem()
    {
        RelayClient client = await relay.NewClient().RegisterAsync(accessKey: new byte[16]);
        var endpoints = relay.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .ToList();
        foreach ((string method, string pattern) in endpoints)
        {
            IEnumerable<string> paths = pattern.Contains('{', StringComparison.Ordinal)
                ? RouteValues.Select(v => string.Join('/', pattern.Split('/').Select(s => s.StartsWith('{') ? v : s)))
                : [pattern];
            foreach (string path in paths)
            {
                foreach (string body in Bodies)
                {
                    foreach (bool authenticated in new[] { false, true })
                    {
                        using var request = new HttpRequestMessage(new HttpMethod(method), path)
                        {
                            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                        };
                        if (authenticated)
                        {
                            request.Headers.Authorization = client.Authorization();
                        }
                        else
                        {
                            request.Headers.TryAddWithoutValidation("Unidentified-Access-Key", body.Length % 2 == 0 ? Convert.ToBase64String(new byte[16]) : "@@" + body);
                        }

                        using HttpResponseMessage response = await relay.Http.SendAsync(request);
                        int status = (int)response.StatusCode;
                        string what = $"{method} {path} body {body[..Math.Min(body.Length, 30)]} auth {authenticated}";
                        Assert.True(status < 500, $"{what} gave {status}");
                        if (status >= 400)
                        {
                            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: {status} without a problem detail");
                        }
                    }
                }
            }
        }
    }
}
