using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Backchannel.Relay.Infrastructure;

/// <summary>RFC 9457 problem results for the errors endpoints answer themselves.</summary>
internal static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) => Make(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string detail) => Make(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Unauthorized(string detail) => Make(StatusCodes.Status401Unauthorized, "Unauthorized", detail);

    public static ProblemHttpResult Forbidden(string detail) => Make(StatusCodes.Status403Forbidden, "Forbidden", detail);

    public static ProblemHttpResult Conflict(string detail) => Make(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ProblemHttpResult PayloadTooLarge(string detail) => Make(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail);

    public static ProblemHttpResult TooManyRequests(string detail) => Make(StatusCodes.Status429TooManyRequests, "Too many requests", detail);

    public static ProblemHttpResult Make(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeFor(status));

    /// <summary>The RFC 9110 section for a status, as ASP.NET Core's own problem details use.</summary>
    public static string TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        408 => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "about:blank",
    };

    /// <summary>The 503 detail when the storage answers reads but refuses writes.</summary>
    public const string StorageReadOnlyDetail =
        "The relay's storage is read-only: what it holds can still be read, but nothing can be stored until it is writable again; retry later.";

    /// <summary>A 503 problem for a storage failure, saying so when the storage is read-only.</summary>
    public static ProblemHttpResult StorageUnavailable(bool readOnly) =>
        Make(StatusCodes.Status503ServiceUnavailable, "Service unavailable", readOnly ? StorageReadOnlyDetail : DefaultDetail(StatusCodes.Status503ServiceUnavailable));

    /// <summary>A detail for a status whose response carries none of its own (unknown route, 405, …).</summary>
    public static string DefaultDetail(int status) => status switch
    {
        400 => "The request is malformed.",
        401 => "Credentials are missing or wrong: use Basic {account}.{device}:{credential}.",
        403 => "The caller may not act on this resource.",
        404 => "No such resource.",
        405 => "This resource does not support that method.",
        408 => "The request arrived too slowly.",
        409 => "The request conflicts with the resource's state.",
        413 => "The request body is too large.",
        415 => "The request body must be JSON.",
        429 => "Too many requests; retry later.",
        503 => "The relay's storage is unavailable; retry later.",
        _ => "The request failed.",
    };
}
