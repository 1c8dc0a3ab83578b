using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Devices;

/// <summary>Several devices per account: provisioning mailbox, link token, linking, listing, removal.</summary>
public sealed class DeviceLinkingTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task A_new_device_is_provisioned_through_a_mailbox_and_links_with_a_one_time_token()
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();

        // The new device opens a mailbox and shows its id to the phone (a QR code, say).
        using HttpResponseMessage open = await relay.Http.PostAsync("/v1/provisioning", null);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        string mailbox = (string)(await open.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        using HttpResponseMessage empty = await relay.Http.GetAsync($"/v1/provisioning/{mailbox}");
        await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.NotFound);

        // The phone creates a link token and puts it (encrypted, in real life) into the mailbox.
        JsonObject token = await phone.PostJsonAsync("/v1/devices/link-token");
        Assert.True((long)token["expiresAt"]! > DateTimeOffset.UtcNow.AddMinutes(9).ToUnixTimeMilliseconds());
        byte[] sealedForNewDevice = System.Text.Encoding.UTF8.GetBytes((string)token["token"]!);
        using HttpResponseMessage put = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject { ["message"] = Convert.ToBase64String(sealedForNewDevice) });
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        using HttpResponseMessage again = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject { ["message"] = "AQ==" });
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);

        using HttpResponseMessage got = await relay.Http.GetAsync($"/v1/provisioning/{mailbox}");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(sealedForNewDevice, Convert.FromBase64String((string)(await got.Content.ReadFromJsonAsync<JsonObject>())!["message"]!));
        using HttpResponseMessage gone = await relay.Http.GetAsync($"/v1/provisioning/{mailbox}");
        await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.NotFound);

        // The new device links with the token.
        string credential = TestKeys.Credential();
        using HttpResponseMessage link = await relay.Http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(phone.Account, (string)token["token"]!, credential, "laptop")));
        Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        JsonObject linked = (await link.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(phone.Account, (string)linked["account"]!);
        Assert.Equal(2, (int)linked["device"]!);

        using HttpResponseMessage replay = await relay.Http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(phone.Account, (string)token["token"]!, TestKeys.Credential())));
        await ProblemAssert.IsProblemAsync(replay, HttpStatusCode.Forbidden);

        // The new device works with its own credential, and appears everywhere a sender looks.
        using HttpResponseMessage asLaptop = await phone.SendAsync(HttpMethod.Get, "/v1/devices", authorization: RelayClient.Basic($"{phone.Account}.2", credential));
        Assert.Equal(HttpStatusCode.OK, asLaptop.StatusCode);
        JsonArray devices = (await asLaptop.Content.ReadFromJsonAsync<JsonObject>())!["devices"]!.AsArray();
        Assert.Equal([1, 2], devices.Select(d => (int)d!["deviceId"]!));
        Assert.Equal("laptop", (string?)devices[1]!["name"]);
        Assert.Null((string?)devices[0]!["name"]);
        Assert.True((long)devices[1]!["createdAt"]! > 0);
        Assert.Equal(0, (long)devices[1]!["lastSeenAt"]! % 86_400_000);

        RelayClient alice = await relay.NewClient().RegisterAsync();
        JsonObject list = await alice.GetJsonAsync($"/v1/accounts/{phone.Account}/devices");
        Assert.Equal([1, 2], list["devices"]!.AsArray().Select(d => (int)d!));
        JsonObject bundle = await alice.GetJsonAsync($"/v1/keys/{phone.Account}/*");
        Assert.Equal([1, 2], bundle["devices"]!.AsArray().Select(d => (int)d!["deviceId"]!));
        Assert.Equal(4321, (int)bundle["devices"]![1]!["registrationId"]!);
        Assert.Equal(Convert.ToBase64String(phone.IdentityKey), (string)bundle["identityKey"]!);
    }

    [Fact]
    public async Task A_removed_device_loses_its_credential_keys_and_mailbox()
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();
        RelayClient laptop = await phone.LinkNewDeviceAsync("laptop");
        RelayClient alice = await relay.NewClient().RegisterAsync();
        await alice.SendMessagesAsync(RelayClient.Message(RelayClient.NewId(), phone.Account, laptop.Device, [1]));
        Assert.Single((await laptop.FetchAsync())["messages"]!.AsArray());

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", laptop.Authorization().ToString());
        await socket.ConnectAsync(new UriBuilder(new Uri(relay.BaseAddress, "/v1/websocket")) { Scheme = "ws" }.Uri, CancellationToken.None);
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        WebSocketReceiveResult frame;
        do
        {
            // Up to the end of the backlog: the socket is subscribed by then.
            frame = await socket.ReceiveAsync(buffer, timeout.Token);
        }
        while (!System.Text.Encoding.UTF8.GetString(buffer, 0, frame.Count).Contains("\"empty\"", StringComparison.Ordinal));

        using HttpResponseMessage remove = await phone.SendAsync(HttpMethod.Delete, $"/v1/devices/{laptop.Device}");
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);

        using HttpResponseMessage locked = await laptop.SendAsync(HttpMethod.Get, "/v1/messages");
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.Unauthorized);
        Assert.Equal([1], (await alice.GetJsonAsync($"/v1/accounts/{phone.Account}/devices"))["devices"]!.AsArray().Select(d => (int)d!));
        Assert.Single((await alice.GetJsonAsync($"/v1/keys/{phone.Account}/*"))["devices"]!.AsArray());
        using HttpResponseMessage toRemoved = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
        {
            ["messages"] = new JsonArray(RelayClient.Message(RelayClient.NewId(), phone.Account, laptop.Device, [2])),
        });
        await ProblemAssert.IsProblemAsync(toRemoved, HttpStatusCode.NotFound);

        // The removed device's socket is closed by the relay (after whatever it had already been sent).
        do
        {
            frame = await socket.ReceiveAsync(buffer, timeout.Token);
        }
        while (frame.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, frame.CloseStatus);

        // A device linked later gets the freed id and none of the old keys or messages.
        RelayClient tablet = await phone.LinkNewDeviceAsync("tablet", preKeys: 1);
        Assert.Equal(2, tablet.Device);
        Assert.Empty((await tablet.FetchAsync())["messages"]!.AsArray());
        Assert.Equal(1, (int)(await tablet.GetJsonAsync("/v1/keys/count"))["preKeys"]!);
    }

    [Fact]
    public async Task The_last_device_cannot_be_removed_and_unknown_ids_are_404()
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage last = await phone.SendAsync(HttpMethod.Delete, "/v1/devices/1");
        await ProblemAssert.IsProblemAsync(last, HttpStatusCode.Conflict);
        using HttpResponseMessage unknown = await phone.SendAsync(HttpMethod.Delete, "/v1/devices/9");
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
        using HttpResponseMessage malformed = await phone.SendAsync(HttpMethod.Delete, "/v1/devices/128");
        await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest);

        RelayClient laptop = await phone.LinkNewDeviceAsync();
        using HttpResponseMessage original = await laptop.SendAsync(HttpMethod.Delete, "/v1/devices/1");
        Assert.Equal(HttpStatusCode.NoContent, original.StatusCode);
        using HttpResponseMessage nowLast = await laptop.SendAsync(HttpMethod.Delete, $"/v1/devices/{laptop.Device}");
        await ProblemAssert.IsProblemAsync(nowLast, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_token_of_another_account_or_a_made_up_one_is_403_and_links_nothing()
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();
        RelayClient mallory = await relay.NewClient().RegisterAsync();
        JsonObject malloryToken = await mallory.PostJsonAsync("/v1/devices/link-token");
        foreach ((string account, string token) in new[]
        {
            (phone.Account, (string)malloryToken["token"]!),
            (phone.Account, TestKeys.Credential()),
            (RelayClient.NewId(), TestKeys.Credential()),
        })
        {
            using HttpResponseMessage response = await relay.Http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(account, token, TestKeys.Credential())));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        }

        Assert.Single((await phone.GetJsonAsync("/v1/devices"))["devices"]!.AsArray());
    }

    [Theory]
    [InlineData("account", "not-a-uuid")]
    [InlineData("linkToken", "short")]
    [InlineData("credential", "short")]
    [InlineData("registrationId", 70000)]
    [InlineData("name", "")]
    [InlineData("signedPreKey", null)]
    public async Task A_malformed_link_request_is_400_and_spends_no_token(string field, object? value)
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();
        JsonObject token = await phone.PostJsonAsync("/v1/devices/link-token");
        JsonObject body = RelayClient.LinkBody(phone.Account, (string)token["token"]!, TestKeys.Credential());
        body[field] = value is null ? null : JsonValue.Create(value);
        using HttpResponseMessage response = await relay.Http.PostAsync("/v1/devices", RelayClient.Json(body));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);

        using HttpResponseMessage valid = await relay.Http.PostAsync("/v1/devices", RelayClient.Json(RelayClient.LinkBody(phone.Account, (string)token["token"]!, TestKeys.Credential())));
        Assert.Equal(HttpStatusCode.Created, valid.StatusCode);
    }

    [Fact]
    public async Task Provisioning_mailboxes_refuse_bad_ids_big_messages_and_unknown_ids()
    {
        RelayClient phone = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage open = await relay.Http.PostAsync("/v1/provisioning", null);
        string mailbox = (string)(await open.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        using HttpResponseMessage big = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject { ["message"] = Convert.ToBase64String(new byte[64 * 1024 + 1]) });
        await ProblemAssert.IsProblemAsync(big, HttpStatusCode.BadRequest);
        using HttpResponseMessage none = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject());
        await ProblemAssert.IsProblemAsync(none, HttpStatusCode.BadRequest);
        using HttpResponseMessage unknown = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{RelayClient.NewId()}", new JsonObject { ["message"] = "AQ==" });
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound);
        using HttpResponseMessage badId = await relay.Http.GetAsync("/v1/provisioning/NOT-A-UUID");
        await ProblemAssert.IsProblemAsync(badId, HttpStatusCode.BadRequest);
        using HttpResponseMessage anonymousPut = await phone.SendRawAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", RelayClient.Json(new JsonObject { ["message"] = "AQ==" }), null);
        await ProblemAssert.IsProblemAsync(anonymousPut, HttpStatusCode.Unauthorized);

        using HttpResponseMessage full = await phone.SendAsync(HttpMethod.Put, $"/v1/provisioning/{mailbox}", new JsonObject { ["message"] = Convert.ToBase64String(new byte[64 * 1024]) });
        Assert.Equal(HttpStatusCode.NoContent, full.StatusCode);
    }
}
