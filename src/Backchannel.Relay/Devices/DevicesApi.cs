using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Backchannel.Relay.Accounts;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Keys;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Devices;

/// <summary>
/// Several devices per account (docs/relay-api.md, Devices): an existing device creates a one-time link token and
/// hands it to the new device inside its encrypted provisioning message (<c>Provisioning/</c>); the new device
/// links itself with the token; any device lists or removes the account's devices. The identity key belongs to the
/// account and is shared by its devices; the relay never sees the private half.
/// </summary>
internal static class DevicesApi
{
    /// <summary>Device names are the client's (it may encrypt them); this bounds their size.</summary>
    private const int MaxNameLength = 128;

    public static IEndpointRouteBuilder MapDevices(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/devices/link-token", CreateLinkTokenAsync).RequireAuthorization().RequireRateLimiting(RateLimits.LinkTokenPolicy);
        routes.MapPost("/v1/devices", LinkAsync).AllowAnonymous().RequireRateLimiting(RateLimits.RegistrationPolicy);
        routes.MapGet("/v1/devices", ListAsync).RequireAuthorization();
        routes.MapDelete("/v1/devices/{id}", RemoveAsync).RequireAuthorization();
        return routes;
    }

    private static async Task<Ok<LinkTokenResponse>> CreateLinkTokenAsync(
        ClaimsPrincipal user, IAccountStore accounts, RelayLimits limits, TimeProvider time, ILogger<LinkDeviceRequest> logger,
        CancellationToken cancellationToken)
    {
        string token = Base64Url(RandomNumberGenerator.GetBytes(32));
        DateTimeOffset now = time.GetUtcNow();
        long expiresAt = (now + limits.ProvisioningLifetime).ToUnixTimeMilliseconds();
        await accounts.CreateLinkTokenAsync(user.GetDevice().Account, Credentials.Hash(token), now.ToUnixTimeMilliseconds(), expiresAt, cancellationToken)
            .ConfigureAwait(false);
        logger.LinkTokenCreated();
        return TypedResults.Ok(new LinkTokenResponse(token, expiresAt));
    }

    private static async Task<Results<Created<RegisterResponse>, ProblemHttpResult>> LinkAsync(
        HttpRequest request, IAccountStore accounts, IPreKeyStore preKeys, RelayLimits limits, TimeProvider time,
        ILogger<LinkDeviceRequest> logger, CancellationToken cancellationToken)
    {
        (LinkDeviceRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<LinkDeviceRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (!Ids.TryParse(body.Account, out Guid account))
        {
            return Problems.BadRequest("account must be a lowercase UUID.");
        }

        if (!Credentials.IsWellFormed(body.LinkToken))
        {
            return Problems.BadRequest("linkToken must be the token from POST /v1/devices/link-token.");
        }

        if (NewDeviceFields.Check(body.Credential, body.RegistrationId) is string fieldError)
        {
            return Problems.BadRequest(fieldError);
        }

        int registrationId = body.RegistrationId!.Value;

        if (body.Name is { Length: 0 or > MaxNameLength })
        {
            return Problems.BadRequest($"name must be 1 to {MaxNameLength} characters when present.");
        }

        if (body.SignedPreKey is null || body.KyberLastResortPreKey is null)
        {
            return Problems.BadRequest("signedPreKey and kyberLastResortPreKey are required.");
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

        DateTimeOffset now = time.GetUtcNow();
        var device = new NewDevice(registrationId, Credentials.Hash(body.Credential!), now.ToUnixTimeMilliseconds(), LastSeen.Day(now), body.Name);
        LinkDeviceResult result = await accounts.LinkDeviceAsync(account, Credentials.Hash(body.LinkToken!), now.ToUnixTimeMilliseconds(), device, cancellationToken)
            .ConfigureAwait(false);
        switch (result.Outcome)
        {
            case LinkDeviceOutcome.TokenRefused:
                logger.AuthenticationFailed("link token refused");
                return Problems.Forbidden("The link token is wrong, spent or expired (or not for this account).");
            case LinkDeviceOutcome.NoFreeDevice:
                return Problems.Conflict($"The account has {DeviceAddress.MaxDevice - DeviceAddress.MinDevice + 1} devices already; remove one first. The token is not spent.");
        }

        // The device exists from here on, but without keys no bundle lists it until they are stored (a failure
        // here leaves the new device to upload them with PUT /v1/keys). Keys of a removed device that once had
        // this id are dropped first, so none of them is ever handed out for the new one.
        var address = new DeviceAddress(account, result.Device);
        await preKeys.DeleteAsync(address, cancellationToken).ConfigureAwait(false);
        await preKeys.UpdateAsync(address, update, limits.MaxStoredPreKeysPerKind, cancellationToken).ConfigureAwait(false);
        logger.DeviceLinked(result.Device);
        return TypedResults.Created((string?)null, new RegisterResponse(Ids.Format(account), result.Device));
    }

    private static async Task<Results<Ok<DeviceListResponse>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, IAccountStore accounts, CancellationToken cancellationToken)
    {
        AccountRecord? account = await accounts.GetAccountAsync(user.GetDevice().Account, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return Problems.Unauthorized(Problems.DefaultDetail(StatusCodes.Status401Unauthorized));
        }

        return TypedResults.Ok(new DeviceListResponse([.. account.Devices.Select(d => new DeviceDto(d.Address.Device, d.Name, d.CreatedAt, d.LastSeenAt))]));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string id, ClaimsPrincipal user, IAccountStore accounts, IPreKeyStore preKeys, IMessageStore messages, MessageNotifier notifier,
        ILogger<LinkDeviceRequest> logger, CancellationToken cancellationToken)
    {
        if (!int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int deviceId)
            || deviceId is < DeviceAddress.MinDevice or > DeviceAddress.MaxDevice)
        {
            return Problems.BadRequest($"The device must be a number from {DeviceAddress.MinDevice} to {DeviceAddress.MaxDevice}.");
        }

        // Always the caller's own account: the route names a device id, never an account.
        var device = new DeviceAddress(user.GetDevice().Account, deviceId);
        switch (await accounts.RemoveDeviceAsync(device, cancellationToken).ConfigureAwait(false))
        {
            case RemoveDeviceResult.NotFound:
                return Problems.NotFound("The account has no such device.");
            case RemoveDeviceResult.LastDevice:
                return Problems.Conflict("This is the account's only device; an account keeps at least one.");
        }

        // The credential is gone first (so the device is locked out at once), then its keys and mailbox.
        notifier.Revoke(device);
        await preKeys.DeleteAsync(device, cancellationToken).ConfigureAwait(false);
        int dropped = await messages.DeleteMailboxAsync(device, cancellationToken).ConfigureAwait(false);
        logger.DeviceRemoved(dropped);
        return TypedResults.NoContent();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
