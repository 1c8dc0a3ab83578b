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
/// Request limits through the ASP.NET Core rate limiter: per authenticated device where there is one, per client
/// IP address for the endpoints that create something without an account. Answers 429 problem details with
/// <c>Retry-After</c>. Message counts are limited in <c>Messages/</c>, since one request carries up to 100 messages.
/// The IP is the TCP peer's: behind a reverse proxy every client shares the proxy's address (docs/relay-api.md).
/// </summary>
internal static class RateLimits
{
    /// <summary>Bundle fetches per calling device.</summary>
    public const string BundlePolicy = "bundle-fetches";

    /// <summary>New accounts and linked devices per client IP.</summary>
    public const string RegistrationPolicy = "registrations";

    /// <summary>Link tokens per calling device.</summary>
    public const string LinkTokenPolicy = "link-tokens";

    /// <summary>Provisioning mailboxes opened per client IP.</summary>
    public const string ProvisioningOpenPolicy = "provisioning-open";

    /// <summary>Provisioning polls per client IP.</summary>
    public const string ProvisioningPollPolicy = "provisioning-poll";

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    public static IServiceCollection AddRelayRateLimits(this IServiceCollection services, RelayLimits limits)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(BundlePolicy, context => PerDevice(context, limits.BundleFetchesPerMinute, Minute));
            options.AddPolicy(LinkTokenPolicy, context => PerDevice(context, limits.LinkTokensPerMinute, Minute));
            options.AddPolicy(RegistrationPolicy, context => PerIp(context, limits.RegistrationsPerIpPerHour, TimeSpan.FromHours(1)));
            options.AddPolicy(ProvisioningOpenPolicy, context => PerIp(context, limits.ProvisioningMailboxesPerIpPerMinute, Minute));
            options.AddPolicy(ProvisioningPollPolicy, context => PerIp(context, limits.ProvisioningPollsPerIpPerMinute, Minute));
            options.OnRejected = async (context, cancellationToken) =>
            {
                HttpContext http = context.HttpContext;
                string policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "unknown";
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimits)).RateLimited(policy);
                TimeSpan retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : Minute;
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Type = Problems.TypeFor(StatusCodes.Status429TooManyRequests),
                        Detail = Detail(policy, limits),
                    },
                }).ConfigureAwait(false);
            };
        });
        return services;
    }

    private static string Detail(string policy, RelayLimits limits) => policy switch
    {
        BundlePolicy => $"A device may fetch at most {limits.BundleFetchesPerMinute} bundles a minute.",
        LinkTokenPolicy => $"A device may create at most {limits.LinkTokensPerMinute} link tokens a minute.",
        RegistrationPolicy => $"At most {limits.RegistrationsPerIpPerHour} accounts and linked devices an hour may be created from one address.",
        ProvisioningOpenPolicy => $"At most {limits.ProvisioningMailboxesPerIpPerMinute} provisioning mailboxes a minute may be opened from one address.",
        ProvisioningPollPolicy => $"At most {limits.ProvisioningPollsPerIpPerMinute} provisioning polls a minute may come from one address.",
        _ => Problems.DefaultDetail(StatusCodes.Status429TooManyRequests),
    };

    private static RateLimitPartition<string> PerDevice(HttpContext context, int permits, TimeSpan window) =>
        Fixed(context.User.TryGetDevice()?.ToString() ?? "anonymous", permits, window);

    private static RateLimitPartition<string> PerIp(HttpContext context, int permits, TimeSpan window) =>
        Fixed(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", permits, window);

    private static RateLimitPartition<string> Fixed(string key, int permits, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
