using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Backchannel.Relay.Tests.Accounts;

public sealed class RegistrationTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Registration_answers_201_with_a_lowercase_account_uuid_and_device_1()
    {
        RelayClient client = await relay.NewClient().RegisterAsync();

        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", client.Account);
        Assert.Equal(1, client.Device);
        JsonObject counts = await client.GetJsonAsync("/v1/keys/count");
        Assert.Equal(3, (int)counts["preKeys"]!);
    }

    [Fact]
    public async Task Two_registrations_get_different_accounts()
    {
        RelayClient a = await relay.NewClient().RegisterAsync();
        RelayClient b = await relay.NewClient().RegisterAsync();
        Assert.NotEqual(a.Account, b.Account);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has spaces in it which is not base64url at all and long enough.")]
    public async Task A_malformed_credential_is_refused(string credential)
    {
        using HttpResponseMessage response = await relay.Http.PostAsync("/v1/accounts", RelayClient.Json(RelayClient.RegistrationBody(credential)));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("signedPreKey")]
    [InlineData("kyberLastResortPreKey")]
    [InlineData("identityKey")]
    [InlineData("registrationId")]
    public async Task A_registration_missing_a_required_part_is_refused(string part)
    {
        JsonObject body = RelayClient.RegistrationBody(TestKeys.Credential());
        body.Remove(part);
        using HttpResponseMessage response = await relay.Http.PostAsync("/v1/accounts", RelayClient.Json(body));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_credential_chosen_at_registration_authenticates_and_a_wrong_one_does_not()
    {
        RelayClient client = await relay.NewClient().RegisterAsync();
        using HttpResponseMessage ok = await client.SendAsync(HttpMethod.Get, "/v1/keys/count");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using HttpResponseMessage wrong = await client.SendAsync(HttpMethod.Get, "/v1/keys/count", authorization: client.Authorization(TestKeys.Credential()));
        await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized);
        Assert.NotEmpty(wrong.Headers.WwwAuthenticate);
    }

    [Fact]
    public async Task Registration_answer_is_json_with_account_and_device()
    {
        using HttpResponseMessage response = await relay.Http.PostAsync("/v1/accounts", RelayClient.Json(RelayClient.RegistrationBody(TestKeys.Credential())));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonObject answer = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, answer.Count);
    }
}
