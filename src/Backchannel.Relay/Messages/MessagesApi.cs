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

/// <summary>
/// Mailboxes over HTTP: send, sealed send, fetch, acknowledge (docs/relay-api.md, Messages). Push is <c>WebSockets/</c>.
/// A sealed send is anonymous: it proves only that the sender holds the recipient's access key, and it is stored
/// and logged with no trace of who sent it.
/// </summary>
internal static class MessagesApi
{
    /// <summary>Ciphertext types are one byte, 0 excluded (docs/relay-api.md).</summary>
    private const int MinType = 1;
    private const int MaxType = 255;

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
        HttpRequest request, ClaimsPrincipal user, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier,
        SendRateLimiter rateLimiter, RecipientRateLimiters recipientLimiters, RelayLimits limits, TimeProvider time, ILogger<SendRequest> logger,
        CancellationToken cancellationToken)
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

        foreach (IGrouping<Guid, NewMessage> toAccount in batch.GroupBy(m => m.Recipient.Account))
        {
            if (!recipientLimiters.FromSender.TryAcquire((sender, toAccount.Key), toAccount.Count()))
            {
                logger.RateLimited("messages-per-recipient");
                return Problems.TooManyRequests(
                    $"A device may send at most {limits.MessagesPerRecipientPerMinute} messages a minute to one account; "
                    + $"the limit for account {Ids.Format(toAccount.Key)} is reached and nothing was stored. Retry later.");
            }
        }

        return await StoreAsync(batch, accounts, messages, notifier, limits, logger, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SealedSendAsync(
        HttpRequest request, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier,
        RecipientRateLimiters recipientLimiters, RelayLimits limits, TimeProvider time, ILogger<SendRequest> logger, CancellationToken cancellationToken)
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
        if (body is null)
        {
            return problem!;
        }

        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        (List<NewMessage>? batch, string? error) = TryConvert(body, null, now, limits);
        if (batch is null)
        {
            return Problems.BadRequest(error!);
        }

        Guid to = batch[0].Recipient.Account;
        if (batch.Any(m => m.Recipient.Account != to))
        {
            return Problems.BadRequest("Every message of a sealed send must go to the same account (to).");
        }

        // An unknown account, an account without an access key and a wrong key all look the same (401, same work),
        // so this endpoint does not tell who has an account.
        AccountRecord? account = await accounts.GetAccountAsync(to, cancellationToken).ConfigureAwait(false);
        if (!AccessKeys.Verify(accessKey, account?.AccessKeyHash))
        {
            logger.AuthenticationFailed("sealed send: wrong access key");
            return Problems.Unauthorized("The access key is wrong for this recipient.");
        }

        if (!recipientLimiters.Sealed.TryAcquire(to, batch.Count))
        {
            logger.RateLimited("sealed-messages-per-recipient");
            return Problems.TooManyRequests(
                $"An account may receive at most {limits.SealedMessagesPerRecipientPerMinute} sealed messages a minute; nothing was stored. Retry later.");
        }

        return await StoreAsync(batch, accounts, messages, notifier, limits, logger, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Checks the recipient devices exist, stores the batch (quota permitting), pushes it to their sockets.</summary>
    private static async Task<Results<Ok<SendResponse>, ProblemHttpResult>> StoreAsync(
        List<NewMessage> batch, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier, RelayLimits limits,
        ILogger<SendRequest> logger, CancellationToken cancellationToken)
    {
        foreach (DeviceAddress recipient in batch.Select(m => m.Recipient).Distinct())
        {
            if (await accounts.GetDeviceAsync(recipient, cancellationToken).ConfigureAwait(false) is null)
            {
                return Problems.NotFound($"No device {recipient.Device} on account {Ids.Format(recipient.Account)}; nothing was stored.");
            }
        }

        // Connected recipients get the new messages from the notifier once they are durable, in mailbox order.
        StoreMessagesResult result = await messages.StoreAsync(batch, limits.MaxPendingMessagesPerDevice, notifier.Push, cancellationToken).ConfigureAwait(false);
        if (result.FullMailbox is DeviceAddress full)
        {
            logger.MailboxFull();
            return Problems.TooManyRequests($"The mailbox of device {full.Device} on account {Ids.Format(full.Account)} is full; nothing was stored. Retry later.");
        }

        int stored = result.Stored.Count(s => s);
        logger.MessagesStored(stored, batch.Count - stored, batch[0].Sealed);
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

    private static (List<NewMessage>? Batch, string? Error) TryConvert(SendRequest body, DeviceAddress? sender, long now, RelayLimits limits)
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
