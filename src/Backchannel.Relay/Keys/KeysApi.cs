using System.Globalization;
using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Keys;

/// <summary>The prekey directory: upload (<c>PUT /v1/keys</c>), count, and bundle fetch (docs/relay-api.md, Prekeys).</summary>
internal static class KeysApi
{
    public static IEndpointRouteBuilder MapKeys(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/v1/keys").RequireAuthorization();
        group.MapPut("/", UploadAsync);
        group.MapGet("/count", CountAsync);
        group.MapGet("/{account}/{device}", BundleAsync).RequireRateLimiting(RateLimits.BundlePolicy);
        return routes;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UploadAsync(
        HttpRequest request, ClaimsPrincipal user, IPreKeyStore preKeys, RelayLimits limits, ILogger<PreKeyDto> logger, CancellationToken cancellationToken)
    {
        (KeysUploadRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<KeysUploadRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (KeyValidation.TryConvert(body, limits, out PreKeyUpdate update) is string error)
        {
            return Problems.BadRequest(error);
        }

        PreKeyUpdateResult result = await preKeys.UpdateAsync(user.GetDevice(), update, limits.MaxStoredPreKeysPerKind, cancellationToken).ConfigureAwait(false);
        if (result == PreKeyUpdateResult.TooManyStored)
        {
            return Problems.BadRequest($"A device may store at most {limits.MaxStoredPreKeysPerKind} one-time prekeys of each kind; nothing was stored.");
        }

        logger.PreKeysUpdated(update.PreKeys.Count, update.KyberPreKeys.Count);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<KeyCountResponse>> CountAsync(ClaimsPrincipal user, IPreKeyStore preKeys, CancellationToken cancellationToken)
    {
        PreKeyCounts counts = await preKeys.CountAsync(user.GetDevice(), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new KeyCountResponse(counts.PreKeys, counts.KyberPreKeys));
    }

    private static async Task<Results<Ok<BundleResponse>, ProblemHttpResult>> BundleAsync(
        string account, string device, IAccountStore accounts, IPreKeyStore preKeys, ILogger<PreKeyDto> logger, CancellationToken cancellationToken)
    {
        if (!Ids.TryParse(account, out Guid accountId))
        {
            return Problems.BadRequest("The account must be a lowercase UUID.");
        }

        int? deviceId = null;
        if (device != "*")
        {
            if (!int.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
                || parsed is < DeviceAddress.MinDevice or > DeviceAddress.MaxDevice)
            {
                return Problems.BadRequest($"The device must be * or a number from {DeviceAddress.MinDevice} to {DeviceAddress.MaxDevice}.");
            }

            deviceId = parsed;
        }

        AccountRecord? record = await accounts.GetAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return Problems.NotFound("No such account.");
        }

        var devices = new List<BundleDeviceDto>();
        foreach (DeviceRecord d in record.Devices.Where(d => deviceId is null || d.Address.Device == deviceId))
        {
            TakenPreKeys? keys = await preKeys.TakeAsync(d.Address, cancellationToken).ConfigureAwait(false);
            if (keys is not null)
            {
                devices.Add(new BundleDeviceDto(
                    d.Address.Device,
                    d.RegistrationId,
                    KeyValidation.ToDto(keys.SignedPreKey),
                    keys.PreKey is null ? null : KeyValidation.ToDto(keys.PreKey),
                    KeyValidation.ToDto(keys.KyberPreKey)));
            }
        }

        if (devices.Count == 0)
        {
            return Problems.NotFound(deviceId is null ? "The account has no device with keys." : "No such device.");
        }

        logger.BundleServed(devices.Count);
        return TypedResults.Ok(new BundleResponse(Ids.Format(record.Id), record.IdentityKey, devices));
    }
}
