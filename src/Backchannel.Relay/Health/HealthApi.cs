using System.Data.Common;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Backchannel.Relay.Health;

/// <summary><c>GET /health</c>: 200 <c>{"status":"ok"}</c> when the store answers, else a 503 problem.</summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", CheckAsync).AllowAnonymous();
        return routes;
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> CheckAsync(IStorageHealth storage, CancellationToken cancellationToken)
    {
        try
        {
            await storage.CheckAsync(cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new HealthResponse("ok"));
        }
        catch (DbException)
        {
            return Problems.Make(StatusCodes.Status503ServiceUnavailable, "Service unavailable", Problems.DefaultDetail(StatusCodes.Status503ServiceUnavailable));
        }
    }
}
