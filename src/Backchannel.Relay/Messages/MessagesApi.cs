using System.Globalization;
using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Backchannel.Relay.Messages;

/// <summary>
/// Mailboxes over HTTP: send, sealed send, fetch, acknowledge (docs/relay-api.md, Messages). Push, and sends over
/// the socket, are <c>WebSockets/</c>; both kinds of send go through <see cref="MessageSender"/>.
/// </summary>
internal static class MessagesApi
{
    /// <summary>The header carrying the recipient's access key on a sealed send (Signal's name).</summary>
    public const string AccessKeyHeader = "Unidentified-Access-Key";

    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/v1/messages").RequireAuthorization();
        group.MapPost("/", SendAsync);
        group.MapGet("/", FetchAsync);
        group.MapDelete("/{id}", AckOneAsync);
        group.MapPost("/ack", AckManyAsync);
        routes.MapPost("/v1/messages/sealed", SealedSendAsync).AllowAnonymous();
        return routes;
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SendAsync(
        HttpRequest request, ClaimsPrincipal user, MessageSender sender, CancellationToken cancellationToken)
    {
        (SendRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<SendRequest>(request, cancellationToken).ConfigureAwait(false);
        return body is null ? problem! : await sender.SendAsync(body, user.GetDevice(), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SealedSendAsync(
        HttpRequest request, MessageSender sender, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization.Count > 0)
        {
            return Problems.BadRequest("A sealed send must not carry an Authorization header: it would name the sender.");
        }

        byte[]? accessKey = ParseAccessKey(request.Headers[AccessKeyHeader]);
        if (accessKey is null)
        {
            return Problems.Unauthorized($"A sealed send needs the recipient's access key in the {AccessKeyHeader} header (base64 of {AccessKeys.Length} bytes).");
        }

        (SendRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<SendRequest>(request, cancellationToken).ConfigureAwait(false);
        return body is null ? problem! : await sender.SealedSendAsync(body, accessKey, cancellationToken).ConfigureAwait(false);
    }

    private static byte[]? ParseAccessKey(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > 64)
        {
            return null;
        }

        byte[] key = new byte[48];
        return Convert.TryFromBase64String(header.Trim(), key, out int written) && written == AccessKeys.Length ? key[..written] : null;
    }

    private static async Task<Results<Ok<FetchResponse>, ProblemHttpResult>> FetchAsync(
        string? limit, ClaimsPrincipal user, IMessageStore messages, RelayLimits limits, CancellationToken cancellationToken)
    {
        int pageSize = limits.DefaultFetchLimit;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > limits.MaxFetchLimit))
        {
            return Problems.BadRequest($"limit must be a number from 1 to {limits.MaxFetchLimit}.");
        }

        MessagePage page = await messages.FetchAsync(user.GetDevice(), pageSize, 0, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new FetchResponse([.. page.Messages.Select(IncomingMessageDto.From)], page.More));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AckOneAsync(
        string id, ClaimsPrincipal user, IMessageStore messages, CancellationToken cancellationToken)
    {
        if (!Ids.TryParse(id, out Guid messageId))
        {
            return Problems.BadRequest("The message id must be a lowercase UUID.");
        }

        await messages.AckAsync(user.GetDevice(), [messageId], cancellationToken).ConfigureAwait(false);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> AckManyAsync(
        HttpRequest request, ClaimsPrincipal user, IMessageStore messages, RelayLimits limits, CancellationToken cancellationToken)
    {
        (AckRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<AckRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (body.Ids is null || body.Ids.Count > limits.MaxAcksPerRequest)
        {
            return Problems.BadRequest($"ids must be a list of at most {limits.MaxAcksPerRequest} message ids.");
        }

        var ids = new List<Guid>(body.Ids.Count);
        foreach (string? text in body.Ids)
        {
            if (!Ids.TryParse(text, out Guid id))
            {
                return Problems.BadRequest("Every id must be a lowercase UUID.");
            }

            ids.Add(id);
        }

        await messages.AckAsync(user.GetDevice(), ids, cancellationToken).ConfigureAwait(false);
        return TypedResults.NoContent();
    }
}
