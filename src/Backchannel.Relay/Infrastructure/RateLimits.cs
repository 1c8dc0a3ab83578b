using System.Globalization;
using System.Threading.RateLimiting;
using Backchannel.Relay.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Infrastructure;

/// <summary>
/// Per-device request limits through the ASP.NET Core rate limiter (partitioned by the authenticated device),
/// answering 429 problem details with <c>Retry-After</c>. Message counts are limited in
/// <c>Messages/SendRateLimiter</c>, since one request carries up to 100 messages.
/// </summary>
internal static class RateLimits
{
    /// <summary>Bundle fetches per calling device.</summary>
    public const string BundlePolicy = "bundle-fetches";

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static IServiceCollection AddRelayRateLimits(this IServiceCollection services, RelayLimits limits)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(BundlePolicy, context =>
                RateLimitPartition.GetFixedWindowLimiter(
                    context.User.TryGetDevice()?.ToString() ?? "anonymous",
                    _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = limits.BundleFetchesPerMinute,
                        Window = Window,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                HttpContext http = context.HttpContext;
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimits)).RateLimited(BundlePolicy);
                TimeSpan retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : Window;
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Type = Problems.TypeFor(StatusCodes.Status429TooManyRequests),
                        Detail = $"A device may fetch at most {limits.BundleFetchesPerMinute} bundles a minute.",
                    },
                }).ConfigureAwait(false);
            };
        });
        return services;
    }
}
