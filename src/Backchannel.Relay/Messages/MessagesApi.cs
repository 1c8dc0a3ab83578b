using System.Globalization;
using System.Security.Claims;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Messages;

/// <summary>Mailboxes over HTTP: send, fetch, acknowledge (docs/relay-api.md, Messages). Push is <c>WebSockets/</c>.</summary>
internal static class MessagesApi
{
    /// <summary>Ciphertext types are one byte, 0 excluded (docs/relay-api.md).</summary>
    private const int MinType = 1;
    private const int MaxType = 255;

    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder group = routes.MapGroup("/v1/messages").RequireAuthorization();
        group.MapPost("/", SendAsync);
        group.MapGet("/", FetchAsync);
        group.MapDelete("/{id}", AckOneAsync);
        group.MapPost("/ack", AckManyAsync);
        return routes;
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SendAsync(
        HttpRequest request, ClaimsPrincipal user, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier,
        SendRateLimiter rateLimiter, RelayLimits limits, TimeProvider time, ILogger<SendRequest> logger, CancellationToken cancellationToken)
    {
        (SendRequest? body, ProblemHttpResult? problem) = await JsonBody.ReadAsync<SendRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        DeviceAddress sender = user.GetDevice();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        (List<NewMessage>? batch, string? error) = TryConvert(body, sender, now, limits);
        if (batch is null)
        {
            return Problems.BadRequest(error!);
        }

        if (!rateLimiter.TryAcquire(sender, batch.Count))
        {
            logger.RateLimited("messages-sent");
            return Problems.TooManyRequests($"A device may send at most {limits.MessagesSentPerMinute} messages a minute; nothing was stored.");
        }

        foreach (DeviceAddress recipient in batch.Select(m => m.Recipient).Distinct())
        {
            if (await accounts.GetDeviceAsync(recipient, cancellationToken).ConfigureAwait(false) is null)
            {
                return Problems.NotFound($"No device {recipient.Device} on account {Ids.Format(recipient.Account)}; nothing was stored.");
            }
        }

        StoreMessagesResult result = await messages.StoreAsync(batch, limits.MaxPendingMessagesPerDevice, cancellationToken).ConfigureAwait(false);
        if (result.FullMailbox is DeviceAddress full)
        {
            logger.MailboxFull();
            return Problems.TooManyRequests($"The mailbox of device {full.Device} on account {Ids.Format(full.Account)} is full; nothing was stored. Retry later.");
        }

        foreach (DeviceAddress recipient in batch.Where((_, i) => result.Stored[i]).Select(m => m.Recipient).Distinct())
        {
            notifier.Notify(recipient);
        }

        int stored = result.Stored.Count(s => s);
        logger.MessagesStored(stored, batch.Count - stored);
        return TypedResults.Ok(new SendResponse(
            [.. batch.Select((m, i) => new SendResultDto(Ids.Format(m.Id), result.Stored[i] ? SendResultDto.Stored : SendResultDto.Duplicate))]));
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

    private static (List<NewMessage>? Batch, string? Error) TryConvert(SendRequest body, DeviceAddress sender, long now, RelayLimits limits)
    {
        if (body.Messages is null || body.Messages.Count == 0)
        {
            return (null, "messages must list at least one message.");
        }

        if (body.Messages.Count > limits.MaxMessagesPerRequest)
        {
            return (null, $"At most {limits.MaxMessagesPerRequest} messages per request.");
        }

        var batch = new List<NewMessage>(body.Messages.Count);
        for (int i = 0; i < body.Messages.Count; i++)
        {
            OutgoingMessageDto? m = body.Messages[i];
            string where = $"messages[{i}]";
            if (m is null)
            {
                return (null, $"{where} must be an object.");
            }

            if (!Ids.TryParse(m.Id, out Guid id))
            {
                return (null, $"{where}.id must be a lowercase UUID.");
            }

            if (!Ids.TryParse(m.To, out Guid to))
            {
                return (null, $"{where}.to must be a lowercase UUID.");
            }

            if (m.Device is not int device || device is < DeviceAddress.MinDevice or > DeviceAddress.MaxDevice)
            {
                return (null, $"{where}.device must be a number from {DeviceAddress.MinDevice} to {DeviceAddress.MaxDevice}.");
            }

            if (m.Type is not int type || type is < MinType or > MaxType)
            {
                return (null, $"{where}.type must be a number from {MinType} to {MaxType}.");
            }

            if (m.Content is null || m.Content.Length > limits.MaxMessageContentBytes)
            {
                return (null, $"{where}.content must be base64 of at most {limits.MaxMessageContentBytes} bytes.");
            }

            batch.Add(new NewMessage(new DeviceAddress(to, device), id, sender, type, m.Content, now));
        }

        return (batch, null);
    }
}
