using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Backchannel.Relay.Storage;
using Backchannel.Relay.Tests.WebSockets;
using Microsoft.Data.Sqlite;

namespace Backchannel.Relay.Tests.Hosting;

/// <summary>
/// Read-only storage (SQLITE_READONLY): writes are 503 problems that say the storage is read-only, reads are still
/// served, <c>/health</c> says it, and once writable again everything works and nothing stored was lost.
/// </summary>
public sealed class ReadOnlyStorageTests(ReadOnlyStorageFixture relay) : IClassFixture<ReadOnlyStorageFixture>
{
    [Fact]
    public async Task A_send_is_503_saying_read_only_and_works_once_writable_again()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string id = RelayClient.NewId();
        relay.ReadOnly = true;
        try
        {
            using HttpResponseMessage refused = await alice.SendAsync(HttpMethod.Post, "/v1/messages", new JsonObject
            {
                ["messages"] = new JsonArray(RelayClient.Message(id, bob.Account, 1, [1, 2, 3])),
            });
            JsonObject problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("read-only", (string)problem["detail"]!, StringComparison.Ordinal);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        finally
        {
            relay.ReadOnly = false;
        }

        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
        await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [1, 2, 3]));
        Assert.Equal(id, (string)Assert.Single((await bob.FetchAsync())["messages"]!.AsArray())!["id"]!);
    }

    [Fact]
    public async Task A_send_frame_is_answered_503_saying_read_only_and_the_socket_sends_once_writable_again()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using ClientWebSocket socket = await TestSockets.ConnectAsync(relay, alice);
        Assert.Equal("empty", (string)(await TestSockets.ReceiveAsync(socket))["type"]!);
        string id = RelayClient.NewId();
        JsonObject Send(string requestId) => new()
        {
            ["type"] = "send",
            ["requestId"] = requestId,
            ["messages"] = new JsonArray(RelayClient.Message(id, bob.Account, 1, [1, 2, 3])),
        };

        relay.ReadOnly = true;
        try
        {
            await TestSockets.SendAsync(socket, Send("while-read-only"));
            JsonObject refused = await TestSockets.ReceiveAsync(socket);
            Assert.Equal("while-read-only", (string)refused["requestId"]!);
            Assert.Equal(503, (int)refused["status"]!);
            Assert.Contains("read-only", (string)refused["detail"]!, StringComparison.Ordinal);
        }
        finally
        {
            relay.ReadOnly = false;
        }

        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
        await TestSockets.SendAsync(socket, Send("writable"));
        JsonObject sent = await TestSockets.ReceiveAsync(socket);
        Assert.Equal(200, (int)sent["status"]!);
        Assert.Equal(id, (string)Assert.Single((await bob.FetchAsync())["messages"]!.AsArray())!["id"]!);
    }

    [Fact]
    public async Task Stored_messages_are_still_fetched_an_ack_is_503_and_nothing_is_lost()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        RelayClient bob = await relay.NewClient().RegisterAsync();
        string id = RelayClient.NewId();
        await alice.SendMessagesAsync(RelayClient.Message(id, bob.Account, 1, [7]));
        relay.ReadOnly = true;
        try
        {
            Assert.Equal(id, (string)Assert.Single((await bob.FetchAsync())["messages"]!.AsArray())!["id"]!);
            using HttpResponseMessage ack = await bob.SendAsync(HttpMethod.Delete, $"/v1/messages/{id}");
            JsonObject problem = await ProblemAssert.IsProblemAsync(ack, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("read-only", (string)problem["detail"]!, StringComparison.Ordinal);
        }
        finally
        {
            relay.ReadOnly = false;
        }

        Assert.Equal(id, (string)Assert.Single((await bob.FetchAsync())["messages"]!.AsArray())!["id"]!);
        using HttpResponseMessage acked = await bob.SendAsync(HttpMethod.Delete, $"/v1/messages/{id}");
        Assert.Equal(HttpStatusCode.NoContent, acked.StatusCode);
        Assert.Empty((await bob.FetchAsync())["messages"]!.AsArray());
    }

    [Fact]
    public async Task A_device_whose_last_seen_day_cannot_be_written_still_reads()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        relay.ReadOnly = true;
        relay.StaleLastSeen = true;
        try
        {
            using HttpResponseMessage fetch = await bob.SendAsync(HttpMethod.Get, "/v1/messages");
            Assert.Equal(HttpStatusCode.OK, fetch.StatusCode);
        }
        finally
        {
            relay.ReadOnly = false;
            relay.StaleLastSeen = false;
        }
    }

    [Fact]
    public async Task Health_is_503_saying_read_only_then_ok_once_writable()
    {
        relay.ReadOnly = true;
        try
        {
            using HttpResponseMessage response = await relay.Http.GetAsync("/health");
            JsonObject problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
            Assert.Contains("read-only", (string)problem["detail"]!, StringComparison.Ordinal);
        }
        finally
        {
            relay.ReadOnly = false;
        }

        using HttpResponseMessage ok = await relay.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("ok", (string)(await ok.Content.ReadFromJsonAsync<JsonObject>())!["status"]!);
    }

    [Theory]
    [InlineData(8, true)] // SQLITE_READONLY
    [InlineData(8 | (1 << 8), true)] // SQLITE_READONLY_RECOVERY
    [InlineData(8 | (5 << 8), true)] // SQLITE_READONLY_CANTINIT
    [InlineData(13, false)] // SQLITE_FULL: 503 too, but not "read-only"
    [InlineData(10, false)] // SQLITE_IOERR
    public void Only_sqlite_readonly_codes_count_as_read_only(int code, bool readOnly) =>
        Assert.Equal(readOnly, StorageErrors.IsReadOnly(new SqliteException("test", code)));
}
