namespace Backchannel.Relay.Auth;

/// <summary>
/// A device's last-seen time is kept to the day (the start of the UTC day, ms since the epoch), as Signal does:
/// enough to spot a stale device in <c>GET /v1/devices</c>, too coarse to trace anyone's hours. It also means at
/// most one write per device and day.
/// </summary>
internal static class LastSeen
{
    public static long Day(DateTimeOffset now) =>
        new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).ToUnixTimeMilliseconds();
}
