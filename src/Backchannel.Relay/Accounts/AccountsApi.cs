using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Keys;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Accounts;

/// <summary>
/// Registration (<c>POST /v1/accounts</c>: a random account id, device 1, its credential hash and first prekeys),
/// the access key for sealed delivery, and an account's device list for senders fanning out.
/// </summary>
internal static class AccountsApi
{
    private const int FirstDevice = 1;

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/accounts", RegisterAsync).AllowAnonymous().RequireRateLimiting(RateLimits.RegistrationPolicy);
        routes.MapPut("/v1/accounts/access-key", SetAccessKeyAsync).RequireAuthorization();
        routes.MapGet("/v1/accounts/{account}/devices", ListDevicesAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<Results<Created<RegisterResponse>, ProblemHttpResult>> RegisterAsync(
        HttpRequest request, IAccountStore accounts, IPreKeyStore preKeys, RelayLimits limits, TimeProvider time,
        ILogger<RegisterRequest> logger, CancellationToken cancellationToken)
    {
        (RegisterRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<RegisterRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (NewDeviceFields.Check(body.Credential, body.RegistrationId) is string fieldError)
        {
            return Problems.BadRequest(fieldError);
        }

        int registrationId = body.RegistrationId!.Value;

        if (KeyValidation.CheckIdentityKey(body.IdentityKey, limits) is string identityError)
        {
            return Problems.BadRequest(identityError);
        }

        if (body.SignedPreKey is null || body.KyberLastResortPreKey is null)
        {
            return Problems.BadRequest("signedPreKey and kyberLastResortPreKey are required.");
        }

        if (body.AccessKey is not null && !AccessKeys.IsWellFormed(body.AccessKey))
        {
            return Problems.BadRequest($"accessKey must be {AccessKeys.Length} bytes.");
        }

        var keys = new KeysUploadRequest
        {
            SignedPreKey = body.SignedPreKey,
            KyberLastResortPreKey = body.KyberLastResortPreKey,
            PreKeys = body.PreKeys,
            KyberPreKeys = body.KyberPreKeys,
        };
        if (KeyValidation.TryConvert(keys, limits, out PreKeyUpdate update) is string keyError)
        {
            return Problems.BadRequest(keyError);
        }

        // Keys first, then the account: until the account exists nobody can reach the keys, so a failure
        // between the two leaves nothing visible (the client registers again under a new id).
        var device = new DeviceAddress(Guid.NewGuid(), FirstDevice);
        await preKeys.UpdateAsync(device, update, limits.MaxStoredPreKeysPerKind, cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = time.GetUtcNow();
        var record = new DeviceRecord(device, registrationId, Credentials.Hash(body.Credential!), now.ToUnixTimeMilliseconds())
        {
            LastSeenAt = LastSeen.Day(now),
        };
        byte[]? accessKeyHash = body.AccessKey is null ? null : AccessKeys.Hash(body.AccessKey);
        if (!await accounts.CreateAsync(device.Account, body.IdentityKey!, accessKeyHash, record, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A random account id collided.");
        }

        logger.AccountRegistered();
        string account = Ids.Format(device.Account);
        return TypedResults.Created((string?)null, new RegisterResponse(account, FirstDevice));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetAccessKeyAsync(
        HttpRequest request, ClaimsPrincipal user, IAccountStore accounts, ILogger<RegisterRequest> logger, CancellationToken cancellationToken)
    {
        (AccessKeyRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<AccessKeyRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (!AccessKeys.IsWellFormed(body.AccessKey))
        {
            return Problems.BadRequest($"accessKey must be {AccessKeys.Length} bytes.");
        }

        if (!await accounts.SetAccessKeyAsync(user.GetDevice().Account, AccessKeys.Hash(body.AccessKey!), cancellationToken).ConfigureAwait(false))
        {
            return Problems.Unauthorized(Problems.DefaultDetail(StatusCodes.Status401Unauthorized));
        }

        logger.AccessKeySet();
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AccountDevicesResponse>, ProblemHttpResult>> ListDevicesAsync(
        string account, IAccountStore accounts, CancellationToken cancellationToken)
    {
        if (!Ids.TryParse(account, out Guid accountId))
        {
            return Problems.BadRequest("The account must be a lowercase UUID.");
        }

        AccountRecord? record = await accounts.GetAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
        return record is null
            ? Problems.NotFound("No such account.")
            : TypedResults.Ok(new AccountDevicesResponse([.. record.Devices.Select(d => d.Address.Device)]));
    }
}
