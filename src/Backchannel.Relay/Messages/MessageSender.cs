using Backchannel.Relay.Auth;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Messages;

/// <summary>
/// Stores a send request's messages and pushes them to their recipients' sockets: the one path behind
/// <c>POST /v1/messages</c>, <c>POST /v1/messages/sealed</c> and a socket's <c>"send"</c> frame, so the three check,
/// limit and answer alike (docs/relay-api.md, Messages). A sealed send is anonymous: it proves only that the sender
/// holds the recipient's access key, and it is stored and logged with no trace of who sent it.
/// </summary>
internal sealed class MessageSender(
    IAccountStore accounts, IMessageStore messages, MessageNotifier notifier, SendRateLimiter rateLimiter,
    RecipientRateLimiters recipientLimiters, RelayLimits limits, TimeProvider time, ILogger<SendRequest> logger)
{
    /// <summary>Ciphertext types are one byte, 0 excluded (docs/relay-api.md).</summary>
    private const int MinType = 1;
    private const int MaxType = 255;

    /// <summary>An identified send from <paramref name="sender"/>, rate-limited per sending device and per recipient account.</summary>
    public async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SendAsync(SendRequest body, DeviceAddress sender, CancellationToken cancellationToken)
    {
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

        return await StoreAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A sealed send: every message to one account, whose access key the caller showed; rate-limited per recipient account.</summary>
    public async Task<Results<Ok<SendResponse>, ProblemHttpResult>> SealedSendAsync(SendRequest body, byte[] accessKey, CancellationToken cancellationToken)
    {
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

        return await StoreAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks the recipient devices exist, stores the batch (quota permitting), pushes it to their sockets.</summary>
    private async Task<Results<Ok<SendResponse>, ProblemHttpResult>> StoreAsync(List<NewMessage> batch, CancellationToken cancellationToken)
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

    /// <summary>
    /// A send request's whole validation: its messages as the store takes them, or why the request is a 400
    /// (static, so that the fuzz target calls it as the three sends do).
    /// </summary>
    internal static (List<NewMessage>? Batch, string? Error) TryConvert(SendRequest body, DeviceAddress? sender, long now, RelayLimits limits)
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
