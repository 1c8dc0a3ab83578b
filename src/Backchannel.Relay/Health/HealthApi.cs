using System.Data.Common;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Backchannel.Relay.Health;

/// <summary>
/// <c>GET /health</c>: 200 <c>{"status":"ok"}</c> when the store answers and can store, else a 503 problem (whose
/// detail says when the storage is read-only).
/// </summary>
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
        catch (DbException e)
        {
            return Problems.StorageUnavailable(StorageErrors.IsReadOnly(e));
        }
    }
}
