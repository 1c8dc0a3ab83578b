using System.Threading.RateLimiting;

namespace Backchannel.Relay.Infrastructure;

/// <summary>
/// A fixed window of <c>permits</c> per key and minute, for bounds the request middleware cannot express because
/// they count messages, or depend on the body (the recipient of a send). Idle windows are dropped by the
/// System.Threading.RateLimiting machinery, so the keys do not accumulate.
/// </summary>
internal sealed class KeyedRateLimiter<TKey> : IDisposable
    where TKey : notnull
{
    private readonly PartitionedRateLimiter<TKey> _limiter;

    public KeyedRateLimiter(int permitsPerMinute)
    {
        _limiter = PartitionedRateLimiter.Create<TKey, TKey>(key =>
            RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes <paramref name="permits"/> permits for <paramref name="key"/>, or none and returns false.</summary>
    public bool TryAcquire(TKey key, int permits)
    {
        using RateLimitLease lease = _limiter.AttemptAcquire(key, permits);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
