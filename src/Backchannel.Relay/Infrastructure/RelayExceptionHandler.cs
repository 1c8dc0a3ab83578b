using System.Data.Common;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Infrastructure;

/// <summary>
/// Turns the exceptions that are not bugs into problem details: a storage failure (any ADO.NET
/// <see cref="DbException"/>: SQLite's disk full or read-only, later PostgreSQL's) is 503 (whose detail says so when
/// the storage is read-only), a Kestrel
/// <see cref="BadHttpRequestException"/> (too large, too slow, malformed) keeps its 4xx status, a client that
/// went away (cancellation, a broken connection) gets nothing.
/// Anything else is a bug and falls through to the 500 problem.
/// </summary>
internal sealed class RelayExceptionHandler(IProblemDetailsService problemDetails, ILogger<RelayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested:
                return true;
            case DbException storage when StorageErrors.IsReadOnly(storage):
                logger.StorageReadOnly(httpContext.Request.Method);
                httpContext.Response.Headers.RetryAfter = "30";
                return await WriteAsync(httpContext, exception, StatusCodes.Status503ServiceUnavailable, "Service unavailable", Problems.StorageReadOnlyDetail).ConfigureAwait(false);
            case DbException storage:
                logger.StorageUnavailable(storage.GetType().Name, storage.ErrorCode, storage);
                httpContext.Response.Headers.RetryAfter = "30";
                return await WriteAsync(httpContext, exception, StatusCodes.Status503ServiceUnavailable, "Service unavailable").ConfigureAwait(false);
            case BadHttpRequestException bad:
                return await WriteAsync(httpContext, exception, bad.StatusCode, "Bad request").ConfigureAwait(false);
            case IOException:
                // The connection broke while the body was read: the client's trouble, and nobody to answer.
                logger.ConnectionLost(httpContext.Request.Method);
                return true;
            default:
                logger.UnhandledException(httpContext.Request.Method, httpContext.GetEndpoint()?.DisplayName ?? "(no endpoint)", exception);
                return false;
        }
    }

    private async ValueTask<bool> WriteAsync(HttpContext httpContext, Exception exception, int status, string title, string? detail = null)
    {
        if (httpContext.Response.HasStarted)
        {
            return true;
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Type = Problems.TypeFor(status), Detail = detail ?? Problems.DefaultDetail(status) },
        }).ConfigureAwait(false);
    }
}
