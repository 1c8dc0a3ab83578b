using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Keys;

public sealed class KeysApiTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Uploaded_one_time_keys_are_added_to_the_count()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync(preKeys: 3, kyberPreKeys: 3);
        var upload = new JsonObject
        {
            ["preKeys"] = new JsonArray(RelayClient.PreKey(10), RelayClient.PreKey(11)),
            ["kyberPreKeys"] = new JsonArray(RelayClient.SignedKey(10, TestKeys.Kyber())),
        };
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Put, "/v1/keys", upload);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        JsonObject counts = await bob.GetJsonAsync("/v1/keys/count");
        Assert.Equal(5, (int)counts["preKeys"]!);
        Assert.Equal(4, (int)counts["kyberPreKeys"]!);
    }

    [Fact]
    public async Task A_bundle_carries_the_identity_signed_key_and_one_time_keys_which_it_consumes()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync(preKeys: 2, kyberPreKeys: 2);
        RelayClient alice = await relay.NewClient().RegisterAsync();

        JsonObject bundle = await alice.GetJsonAsync($"/v1/keys/{bob.Account}/1");
        Assert.Equal(bob.Account, (string)bundle["account"]!);
        Assert.Equal(33, Convert.FromBase64String((string)bundle["identityKey"]!).Length);
        JsonObject device = bundle["devices"]!.AsArray().Single()!.AsObject();
        Assert.Equal(1, (int)device["deviceId"]!);
        Assert.Equal(1234, (int)device["registrationId"]!);
        Assert.Equal(1, (int)device["signedPreKey"]!["id"]!);
        Assert.Equal(64, Convert.FromBase64String((string)device["signedPreKey"]!["signature"]!).Length);
        Assert.Equal(1, (int)device["preKey"]!["id"]!);
        Assert.Equal(1, (int)device["kyberPreKey"]!["id"]!);

        JsonObject counts = await bob.GetJsonAsync("/v1/keys/count");
        Assert.Equal(1, (int)counts["preKeys"]!);
        Assert.Equal(1, (int)counts["kyberPreKeys"]!);
    }

    [Fact]
    public async Task Twenty_concurrent_fetches_hand_out_each_one_time_key_exactly_once_then_fall_back()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync(preKeys: 10, kyberPreKeys: 10);
        RelayClient alice = await relay.NewClient().RegisterAsync();

        var preKeys = new ConcurrentBag<int>();
        var kyberKeys = new ConcurrentBag<int>();
        int nullPreKeys = 0;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            JsonObject bundle = await alice.GetJsonAsync($"/v1/keys/{bob.Account}/*");
            JsonObject device = bundle["devices"]![0]!.AsObject();
            if (device["preKey"] is JsonObject preKey)
            {
                preKeys.Add((int)preKey["id"]!);
            }
            else
            {
                Assert.True(device.ContainsKey("preKey"), "preKey must be present as null");
                Interlocked.Increment(ref nullPreKeys);
            }

            kyberKeys.Add((int)device["kyberPreKey"]!["id"]!);
        }));

        Assert.Equal(10, preKeys.Count);
        Assert.Equal(10, preKeys.Distinct().Count());
        Assert.Equal(10, nullPreKeys);
        Assert.Equal(10, kyberKeys.Count(id => id != 1000));
        Assert.Equal(10, kyberKeys.Where(id => id != 1000).Distinct().Count());
        Assert.Equal(10, kyberKeys.Count(id => id == 1000));
    }

    [Fact]
    public async Task Unknown_account_or_device_is_404()
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage account = await alice.SendAsync(HttpMethod.Get, $"/v1/keys/{RelayClient.NewId()}/1");
        await ProblemAssert.IsProblemAsync(account, HttpStatusCode.NotFound);
        using HttpResponseMessage device = await alice.SendAsync(HttpMethod.Get, $"/v1/keys/{alice.Account}/2");
        await ProblemAssert.IsProblemAsync(device, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("128")]
    [InlineData("x")]
    [InlineData("-1")]
    public async Task A_device_that_is_not_star_or_1_to_127_is_400(string device)
    {
        RelayClient alice = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await alice.SendAsync(HttpMethod.Get, $"/v1/keys/{alice.Account}/{device}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task More_than_100_one_time_keys_in_one_upload_is_400_and_stores_nothing()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        var upload = new JsonObject { ["preKeys"] = new JsonArray([.. Enumerable.Range(100, 101).Select(i => (JsonNode)RelayClient.PreKey(i))]) };
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Put, "/v1/keys", upload);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(3, (int)(await bob.GetJsonAsync("/v1/keys/count"))["preKeys"]!);
    }

    [Fact]
    public async Task More_than_1000_stored_one_time_keys_is_400_and_stores_nothing_of_that_upload()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync(preKeys: 0, kyberPreKeys: 0);
        for (int batch = 0; batch < 10; batch++)
        {
            var upload = new JsonObject { ["preKeys"] = new JsonArray([.. Enumerable.Range(batch * 100, 100).Select(i => (JsonNode)RelayClient.PreKey(i))]) };
            using HttpResponseMessage ok = await bob.SendAsync(HttpMethod.Put, "/v1/keys", upload);
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        }

        var over = new JsonObject
        {
            ["signedPreKey"] = RelayClient.SignedKey(2, TestKeys.Ec()),
            ["preKeys"] = new JsonArray(RelayClient.PreKey(5000)),
        };
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Put, "/v1/keys", over);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(1000, (int)(await bob.GetJsonAsync("/v1/keys/count"))["preKeys"]!);
        JsonObject bundle = await bob.GetJsonAsync($"/v1/keys/{bob.Account}/1");
        Assert.Equal(1, (int)bundle["devices"]![0]!["signedPreKey"]!["id"]!);
    }

    [Fact]
    public async Task Replacing_the_signed_prekey_shows_in_the_next_bundle()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage put = await bob.SendAsync(HttpMethod.Put, "/v1/keys", new JsonObject { ["signedPreKey"] = RelayClient.SignedKey(7, TestKeys.Ec()) });
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        JsonObject bundle = await bob.GetJsonAsync($"/v1/keys/{bob.Account}/1");
        Assert.Equal(7, (int)bundle["devices"]![0]!["signedPreKey"]!["id"]!);
    }

    [Fact]
    public async Task A_key_over_the_size_bound_is_400()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        var upload = new JsonObject { ["preKeys"] = new JsonArray(new JsonObject { ["id"] = 1, ["publicKey"] = Convert.ToBase64String(new byte[2049]) }) };
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Put, "/v1/keys", upload);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Bundle_answer_is_camel_case_json()
    {
        RelayClient bob = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage response = await bob.SendAsync(HttpMethod.Get, $"/v1/keys/{bob.Account}/1");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"kyberPreKey\"", text, StringComparison.Ordinal);
        Assert.Contains("\"devices\"", text, StringComparison.Ordinal);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(await response.Content.ReadFromJsonAsync<JsonObject>());
    }
}
