using System.Threading.RateLimiting;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Messages;

/// <summary>
/// Messages sent per calling device per minute. The ASP.NET Core rate-limiting middleware counts requests;
/// the bound is on messages, so the send endpoint acquires one permit per message from this limiter (the same
/// System.Threading.RateLimiting machinery, a fixed window per device).
/// </summary>
internal sealed class SendRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<DeviceAddress> _limiter;

    public SendRateLimiter(RelayLimits limits)
    {
        _limiter = PartitionedRateLimiter.Create<DeviceAddress, DeviceAddress>(device =>
            RateLimitPartition.GetFixedWindowLimiter(device, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.MessagesSentPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes <paramref name="messages"/> permits for <paramref name="sender"/>, or none and returns false.</summary>
    public bool TryAcquire(DeviceAddress sender, int messages)
    {
        using RateLimitLease lease = _limiter.AttemptAcquire(sender, messages);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
