using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Backchannel.Relay.Infrastructure;

/// <summary>
/// Reads a JSON request body ourselves rather than through parameter binding, so that every failure (bad JSON,
/// bad base64, wrong types, a body over the Kestrel limit) becomes a problem detail with a useful <c>detail</c>.
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            T? value = await JsonSerializer.DeserializeAsync<T>(request.Body, RelayJson.Options, cancellationToken).ConfigureAwait(false);
            return value is null
                ? (null, Problems.BadRequest("The request body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            // The path names the field; the message would quote the input, so it stays out.
            string where = string.IsNullOrEmpty(e.Path) ? "the body" : e.Path;
            return (null, Problems.BadRequest($"The request body is not valid for this endpoint at {where} (malformed JSON, a wrong type, or bytes that are not standard base64)."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.PayloadTooLarge("The request body exceeds the relay's limit (see docs/relay-api.md, Bounds)."));
        }
    }
}
