using System.Globalization;
using System.Security.Claims;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Auth;

/// <summary>The authenticated calling device, as <see cref="BasicAuthenticationHandler"/> put it in the principal.</summary>
internal static class CallerDevice
{
    public const string AccountClaim = "backchannel/account";
    public const string DeviceClaim = "backchannel/device";

    /// <summary>The caller's device; throws for an unauthenticated principal (endpoints require authorization).</summary>
    public static DeviceAddress GetDevice(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return TryGetDevice(user) ?? throw new InvalidOperationException("The endpoint must require authorization.");
    }

    public static DeviceAddress? TryGetDevice(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        string? account = user.FindFirstValue(AccountClaim);
        string? device = user.FindFirstValue(DeviceClaim);
        return account is not null && device is not null
            ? new DeviceAddress(Guid.Parse(account), int.Parse(device, CultureInfo.InvariantCulture))
            : null;
    }
}
