using System.Data.Common;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backchannel.Relay.Auth;

/// <summary>
/// <c>Authorization: Basic base64("{account}.{device}:{credential}")</c> checked against the account store.
/// Challenges and forbids answer with problem details. Owns authentication only; which device may touch which
/// resource is decided by each endpoint (it acts on the caller's own device). Records the day a device was last
/// seen (<see cref="LastSeen"/>). A removed device has no record, so its credential is refused like a wrong one.
/// </summary>
internal sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IAccountStore accounts,
    IProblemDetailsService problemDetails,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Basic";

    /// <summary>Longest Authorization value worth decoding: account, device and a 128-character credential.</summary>
    private const int MaxHeaderLength = 512;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!TryParse(header, out DeviceAddress device, out string credential))
        {
            Logger.AuthenticationFailed("malformed");
            return AuthenticateResult.Fail("Malformed Basic credentials.");
        }

        DeviceRecord? record = await accounts.GetDeviceAsync(device, Context.RequestAborted).ConfigureAwait(false);
        if (!Credentials.Verify(credential, record?.CredentialHash))
        {
            Logger.AuthenticationFailed(record is null ? "unknown device" : "wrong credential");
            return AuthenticateResult.Fail("Unknown device or wrong credential.");
        }

        long today = LastSeen.Day(clock.GetUtcNow());
        if (record!.LastSeenAt is not long seen || seen < today)
        {
            try
            {
                await accounts.TouchDeviceAsync(device, today, Context.RequestAborted).ConfigureAwait(false);
            }
            catch (DbException e) when (StorageErrors.IsReadOnly(e))
            {
                // The last-seen day is advisory: on read-only storage the caller may still read what is stored.
            }
        }

        var identity = new ClaimsIdentity(
            [new Claim(CallerDevice.AccountClaim, Ids.Format(device.Account)), new Claim(CallerDevice.DeviceClaim, device.Device.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"backchannel\", charset=\"UTF-8\"";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, "Unauthorized").ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await WriteProblemAsync(StatusCodes.Status403Forbidden, "Forbidden").ConfigureAwait(false);
    }

    private async Task WriteProblemAsync(int status, string title) =>
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Type = Problems.TypeFor(status), Detail = Problems.DefaultDetail(status) },
        }).ConfigureAwait(false);

    private static bool TryParse(string header, out DeviceAddress device, out string credential)
    {
        device = default;
        credential = "";
        if (header.Length > MaxHeaderLength || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        string user = decoded[..colon];
        credential = decoded[(colon + 1)..];
        int dot = user.LastIndexOf('.');
        if (dot < 0
            || !Ids.TryParse(user[..dot], out Guid account)
            || !int.TryParse(user.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int deviceId)
            || deviceId is < DeviceAddress.MinDevice or > DeviceAddress.MaxDevice
            || !Credentials.IsWellFormed(credential))
        {
            return false;
        }

        device = new DeviceAddress(account, deviceId);
        return true;
    }
}
