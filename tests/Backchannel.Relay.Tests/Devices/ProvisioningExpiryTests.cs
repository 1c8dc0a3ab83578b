using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backchannel.Relay.Tests.Devices;

/// <summary>Link tokens and provisioning mailboxes last ten minutes, on the relay's clock.</summary>
public sealed class ProvisioningExpiryTests
{
    [Fact]
    public async Task Link_tokens_and_provisioning_mailboxes_expire_after_ten_minutes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using RelayServer server = RelayServer.Build(new RelayOptions
        {
            Urls = ["http://127.0.0.1:0"],
            Storage = RelayStorageKind.InMemory,
            MinimumLogLevel = LogLevel.None,
            HandleProcessSignals = false,
            TimeProvider = clock,
        });
        using var http = new HttpClient { BaseAddress = new Uri((await server.StartAsync())[0]) };
        RelayClient phone = await new RelayClient(http).RegisterAsync();
        JsonObject token = await phone.PostJsonAsync("/v1/devices/link-token");
        Assert.Equal(clock.GetUtcNow().AddMinutes(10).ToUnixTimeMilliseconds(), (long)token["expiresAt"]!);
        using HttpResponseMessage open = await http.PostAsync("/v1/provisioning", null);
        string mailbox = (string)(await open.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        using HttpResponseMessage put = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject { ["message"] = "AQ==" });
        await ProblemAssert.IsProblemAsync(put, HttpStatusCode.NotFound);
        using HttpResponseMessage link = await http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(phone.Account, (string)token["token"]!, TestKeys.Credential())));
        await ProblemAssert.IsProblemAsync(link, HttpStatusCode.Forbidden);
    }
}
