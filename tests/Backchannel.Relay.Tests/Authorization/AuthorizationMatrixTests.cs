using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Backchannel.Relay.Tests.Authorization;

/// <summary>
/// Every endpoint of the built relay (read from its route table, not listed by hand) against callers who must get
/// nothing: no credential, a wrong secret, a removed device, and another account's device. A new endpoint must
/// either require authentication or be added to <see cref="Anonymous"/> on purpose.
/// </summary>
public sealed class AuthorizationMatrixTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    /// <summary>The endpoints anyone may call, each with the reason.</summary>
    private static readonly Dictionary<string, string> Anonymous = new()
    {
        ["GET /health"] = "liveness probe",
        ["POST /v1/accounts"] = "registration creates the credential",
        ["POST /v1/devices"] = "linking proves itself with the one-time link token",
        ["POST /v1/provisioning"] = "a new device has no credential yet",
        ["GET /v1/provisioning/{id}"] = "the random mailbox id is the capability",
        ["GET /v1/certificate/trust-root"] = "public key clients pin",
        ["POST /v1/messages/sealed"] = "sealed sending proves the recipient's access key instead",
    };

    /// <summary>Authenticated endpoints that serve any account's resource by design (the contract says so).</summary>
    private static readonly Dictionary<string, string> CrossAccount = new()
    {
        ["GET /v1/keys/{account}/{device}"] = "bundles are fetched by whoever starts a session",
        ["GET /v1/accounts/{account}/devices"] = "senders fan out to every device",
        ["PUT /v1/provisioning/{id}"] = "the mailbox belongs to a device that has no account yet; its id is the capability",
    };

    [Fact]
    public async Task Every_endpoint_refuses_callers_without_a_valid_credential_and_changes_nothing()
    {
        // The world: a victim with devices 1 and 2, a removed device 3, a pending message, a provisioning mailbox.
        RelayClient victim = await relay.NewClient().RegisterAsync(accessKey: RandomNumberGenerator.GetBytes(16));
        RelayClient second = await victim.LinkNewDeviceAsync("second");
        RelayClient removed = await victim.LinkNewDeviceAsync("removed");
        using (HttpResponseMessage remove = await victim.SendAsync(HttpMethod.Delete, $"/v1/devices/{removed.Device}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        RelayClient mallory = await relay.NewClient().RegisterAsync();
        string messageId = RelayClient.NewId();
        await mallory.SendMessagesAsync(RelayClient.Message(messageId, victim.Account, 1, [42]));
        using HttpResponseMessage opened = await relay.Http.PostAsync("/v1/provisioning", null);
        string mailbox = (string)JsonNode.Parse(await opened.Content.ReadAsStringAsync())!["id"]!;

        var endpoints = relay.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Endpoint: e)))
            .ToList();
        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints found");
        Assert.Subset(endpoints.Select(Name).ToHashSet(), Anonymous.Keys.Concat(CrossAccount.Keys).ToHashSet());

        var unauthorizedCallers = new Dictionary<string, AuthenticationHeaderValue?>
        {
            ["no credential"] = null,
            ["wrong secret"] = victim.Authorization(TestKeys.Credential()),
            ["removed device"] = removed.Authorization(),
            ["device of another account under the victim's name"] = RelayClient.Basic($"{victim.Account}.1", mallory.Credential),
        };

        int checkedRequests = 0;
        foreach ((string method, RouteEndpoint endpoint) in endpoints)
        {
            string name = Name((method, endpoint));
            bool allowsAnonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            bool requiresAuth = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0;
            if (Anonymous.ContainsKey(name))
            {
                Assert.True(allowsAnonymous, $"{name} is listed as anonymous but does not allow anonymous callers");
                continue;
            }

            Assert.True(requiresAuth && !allowsAnonymous, $"{name} neither requires authentication nor is on the anonymous allow-list");
            string path = Fill(endpoint.RoutePattern.RawText!, victim, second, messageId, mailbox);

            foreach ((string caller, AuthenticationHeaderValue? header) in unauthorizedCallers)
            {
                string before = await SnapshotAsync(null);
                using HttpResponseMessage response = await victim.SendRawAsync(new HttpMethod(method), path, Body(method), header);
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
                Assert.True(before == await SnapshotAsync(null), $"{name} as '{caller}' changed the database");
                checkedRequests++;
            }

            if (endpoint.RoutePattern.Parameters.Count > 0 && !CrossAccount.ContainsKey(name))
            {
                // Mallory, properly authenticated, names the victim's resources: nothing of the victim's may change,
                // and the answer is a refusal or the documented no-op (acknowledging someone else's id is a 204 no-op).
                string before = await SnapshotAsync(victim.Account);
                using HttpResponseMessage response = await mallory.SendRawAsync(new HttpMethod(method), path, Body(method), mallory.Authorization());
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.NoContent or HttpStatusCode.BadRequest,
                    $"{name} as another account answered {(int)response.StatusCode}");
                Assert.True(before == await SnapshotAsync(victim.Account), $"{name} as another account changed the victim's data");
                checkedRequests++;
            }
        }

        Assert.True(checkedRequests > 40, $"only {checkedRequests} requests checked");

        // The provisioning mailbox received nothing from all of that, and the victim's devices still work.
        using HttpResponseMessage stillEmpty = await relay.Http.GetAsync($"/v1/provisioning/{mailbox}");
        Assert.Equal(HttpStatusCode.NotFound, stillEmpty.StatusCode);
        Assert.Equal(messageId, (string)(await victim.FetchAsync())["messages"]![0]!["id"]!);
        Assert.Equal(2, (await second.GetJsonAsync("/v1/devices"))["devices"]!.AsArray().Count);
    }

    private static string Name((string Method, RouteEndpoint Endpoint) e) => $"{e.Method} {e.Endpoint.RoutePattern.RawText}";

    private static HttpContent? Body(string method) =>
        method is "GET" or "DELETE" ? null : RelayClient.Json(new JsonObject { ["message"] = "AQ==", ["accessKey"] = Convert.ToBase64String(new byte[16]) });

    /// <summary>Route values naming the victim's resources; a new parameter name fails here until it gets one.</summary>
    private static string Fill(string pattern, RelayClient victim, RelayClient second, string messageId, string mailbox) =>
        string.Join('/', pattern.Split('/').Select(segment => segment switch
        {
            "{account}" => victim.Account,
            "{device}" => "1",
            "{id}" when pattern.StartsWith("/v1/devices", StringComparison.Ordinal) => second.Device.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "{id}" when pattern.StartsWith("/v1/provisioning", StringComparison.Ordinal) => mailbox,
            "{id}" when pattern.StartsWith("/v1/messages", StringComparison.Ordinal) => messageId,
            ['{', ..] => throw new InvalidOperationException($"No test value for {segment} in {pattern}"),
            _ => segment,
        }));

    /// <summary>Every row of every table (only rows naming <paramref name="account"/> when given), sorted; last-seen days aside.</summary>
    private async Task<string> SnapshotAsync(string? account)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(relay.DataDirectory, "relay.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var rows = new List<string>();
        await using SqliteCommand tables = connection.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;";
        var names = new List<string>();
        await using (SqliteDataReader reader = await tables.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (string table in names)
        {
            await using SqliteCommand select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\";";
            await using SqliteDataReader reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new List<string>();
                for (int i = 0; i < reader.FieldCount; i++)
                {
                    if (reader.GetName(i) != "last_seen_at")
                    {
                        object value = reader.GetValue(i);
                        values.Add(value is byte[] bytes ? Convert.ToHexString(bytes) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    }
                }

                if (account is null || values.Contains(account))
                {
                    rows.Add(table + ": " + string.Join('|', values));
                }
            }
        }

        rows.Sort(StringComparer.Ordinal);
        return string.Join('\n', rows);
    }
}
