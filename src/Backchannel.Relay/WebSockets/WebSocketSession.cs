using System.Buffers;
using System.Data.Common;
using System.Net.WebSockets;
using System.Text.Json;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Messages;
using Backchannel.Relay.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// One device's push connection. A send loop delivers the backlog, then <c>{"type":"empty"}</c>, then the new
/// messages the notifier hands over (reading the store after a cursor when it says so), never sending a message at
/// or below the cursor, so nothing goes twice on one connection; a receive loop
/// takes ack frames and hands them to an <see cref="AckBatcher"/>, which applies them in batches, and handles send
/// frames one at a time, in order, each answered once its messages are stored (a client that waits for the answer
/// before its next send batches what came due meanwhile, as with HTTP). Either loop
/// ending ends the session; neither lets an exception escape. Removing the device ends the session (status 1008).
/// What is sent and not acknowledged stays in the store for the next connection.
/// </summary>
/// <param name="batched">
/// The client asked for <c>"messages"</c> frames (<c>?batched=true</c>): what is ready at once goes out in frames of
/// up to <see cref="WebSocketFrameWriter.MaxMessagesPerFrame"/> messages instead of one frame per message.
/// </param>
internal sealed class WebSocketSession(
    WebSocket socket, DeviceAddress device, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier, MessageSender sender,
    RelayLimits limits, ILogger logger, bool batched)
{
    /// <summary>Longest <c>requestId</c> of a send frame (the relay echoes it, nothing more).</summary>
    public const int MaxRequestIdLength = 64;

    /// <summary>Why the send loop ends when the notifier revokes the subscription.</summary>
    private const string DeviceRemoved = "device removed";

    /// <summary>Messages read from the store at a time while pushing.</summary>
    private const int PageSize = 100;

    /// <summary>How long a closing handshake may take before the socket is dropped.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The send loop's frames, written into one reused buffer.</summary>
    private readonly WebSocketFrameWriter _frames = new();

    /// <summary>The receive loop's answers to send frames, written into one reused buffer.</summary>
    private readonly ArrayBufferWriter<byte> _answers = new(256);

    /// <summary>
    /// One frame at a time on the socket: the send loop's pushes and the receive loop's answers share it
    /// (a WebSocket allows one send in flight).
    /// </summary>
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <summary>Largest frame the client may send: a send frame may be as large as a send request's body.</summary>
    private int MaxFrameBytes => (int)Math.Clamp(limits.MaxRequestBodyBytes, limits.MaxWebSocketFrameBytes, Array.MaxLength);

    /// <summary>Runs until the client leaves, the connection breaks, or <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        logger.WebSocketOpened();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(device);
        using var sendCancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var receiveCancellation = new CancellationTokenSource();
        var acks = new AckBatcher(messages, device, limits.MaxAcksPerRequest);
        Task<string?> acking = AckLoopAsync(acks, receiveCancellation);
        Task<string> receive = ReceiveLoopAsync(acks, receiveCancellation.Token);
        Task<string> send = SendLoopAsync(subscription, sendCancellation.Token);

        string reason;
        if (await Task.WhenAny(receive, send).ConfigureAwait(false) == receive)
        {
            reason = await receive.ConfigureAwait(false);
            await sendCancellation.CancelAsync().ConfigureAwait(false);
            await send.ConfigureAwait(false);
            await CloseOutputAsync(WebSocketCloseStatus.NormalClosure).ConfigureAwait(false);
        }
        else
        {
            reason = await send.ConfigureAwait(false);
            WebSocketCloseStatus status = stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable
                : reason == DeviceRemoved ? WebSocketCloseStatus.PolicyViolation
                : WebSocketCloseStatus.InternalServerError;
            await CloseOutputAsync(status).ConfigureAwait(false);
            receiveCancellation.CancelAfter(CloseTimeout);
            await receive.ConfigureAwait(false);
        }

        // The receive loop has ended; the acks it queued are applied before the session is over.
        acks.Complete();
        reason = await acking.ConfigureAwait(false) ?? reason;
        logger.WebSocketClosed(reason);
    }

    private async Task<string> SendLoopAsync(MessageNotifier.Subscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            // Subscribed already: a removal from now on revokes the subscription; one that came between
            // authentication and subscribing is seen here.
            if (await accounts.GetDeviceAsync(device, cancellationToken).ConfigureAwait(false) is null)
            {
                return DeviceRemoved;
            }

            long cursor = await SendPendingAsync(0, cancellationToken).ConfigureAwait(false);
            await SendAsync(_frames.Empty(), cancellationToken).ConfigureAwait(false);
            while (await subscription.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                (List<StoredMessage> pushed, bool mustRead) = subscription.Take();
                if (mustRead)
                {
                    cursor = await SendPendingAsync(cursor, cancellationToken).ConfigureAwait(false);
                }

                // Pushed in mailbox order; those at or below the cursor went out with the backlog or a read already.
                int fresh = 0;
                while (fresh < pushed.Count && pushed[fresh].Sequence <= cursor)
                {
                    fresh++;
                }

                if (fresh < pushed.Count)
                {
                    cursor = await SendMessagesAsync(pushed, fresh, cancellationToken).ConfigureAwait(false);
                }
            }

            return DeviceRemoved;
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            return "connection lost while sending";
        }
        catch (DbException e)
        {
            logger.StorageUnavailable(e.GetType().Name, e.ErrorCode, e);
            return "storage unavailable";
        }
    }

    /// <summary>Sends every pending message after <paramref name="cursor"/>, oldest first; returns the new cursor.</summary>
    private async Task<long> SendPendingAsync(long cursor, CancellationToken cancellationToken)
    {
        while (true)
        {
            MessagePage page = await messages.FetchAsync(device, PageSize, cursor, cancellationToken).ConfigureAwait(false);
            if (page.Messages.Count > 0)
            {
                cursor = await SendMessagesAsync(page.Messages, 0, cancellationToken).ConfigureAwait(false);
            }

            if (!page.More)
            {
                return cursor;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="list"/> from <paramref name="start"/> on (in mailbox order): a frame per message, or
    /// <c>"messages"</c> frames when batched. Returns the sequence of the last one, the new cursor.
    /// </summary>
    private async Task<long> SendMessagesAsync(IReadOnlyList<StoredMessage> list, int start, CancellationToken cancellationToken)
    {
        for (int i = start; i < list.Count;)
        {
            int taken = 1;
            ReadOnlyMemory<byte> frame = batched ? _frames.Messages(list, i, out taken) : _frames.Message(list[i]);
            await SendAsync(frame, cancellationToken).ConfigureAwait(false);
            i += taken;
        }

        return list[^1].Sequence;
    }

    /// <summary>
    /// Sends one frame, of <see cref="_frames"/> or <see cref="_answers"/> (each has one writer, so its buffer is free
    /// again after this), waiting for the other loop's frame to go out first.
    /// </summary>
    private async Task SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// Applies the socket's acks in batches until the receive loop is done. A storage failure ends the receive loop
    /// (and so the session), as a failed ack did when acks were applied one by one; returns why, or null.
    /// Not cancelled by the session stopping: an ack the client sent is applied.
    /// </summary>
    private async Task<string?> AckLoopAsync(AckBatcher acks, CancellationTokenSource receiveCancellation)
    {
        try
        {
            await acks.RunAsync(CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (DbException e)
        {
            logger.StorageUnavailable(e.GetType().Name, e.ErrorCode, e);
            await receiveCancellation.CancelAsync().ConfigureAwait(false);
            return "storage unavailable";
        }
    }

    private async Task<string> ReceiveLoopAsync(AckBatcher acks, CancellationToken cancellationToken)
    {
        int smallest = limits.MaxWebSocketFrameBytes;
        int largest = MaxFrameBytes;

        // What is kept of a frame over the limit while the rest is drained: enough for its type and requestId.
        int prefix = Math.Min(smallest, largest / 2);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(smallest);
        try
        {
            while (true)
            {
                int length = 0;
                bool tooLong = false;
                ValueWebSocketReceiveResult part;
                do
                {
                    if (length == Math.Min(buffer.Length, largest))
                    {
                        if (length == largest)
                        {
                            // Over the limit: keep the start, drain the rest of the frame over what follows it.
                            tooLong = true;
                            length = prefix;
                        }
                        else
                        {
                            // A send frame larger than the usual ones: a larger buffer for this frame only.
                            byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, largest));
                            buffer.AsSpan(0, length).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                    }

                    part = await socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, largest) - length), cancellationToken).ConfigureAwait(false);
                    if (part.MessageType == WebSocketMessageType.Close)
                    {
                        return "closed by client";
                    }

                    length += part.Count;
                }
                while (!part.EndOfMessage);

                if (tooLong)
                {
                    await RefuseTooLongAsync(buffer.AsMemory(0, prefix), largest, cancellationToken).ConfigureAwait(false);
                }
                else if (part.MessageType != WebSocketMessageType.Text)
                {
                    logger.WebSocketFrameIgnored("not text");
                }
                else
                {
                    await HandleFrameAsync(buffer.AsMemory(0, length), acks, cancellationToken).ConfigureAwait(false);
                }

                if (buffer.Length > smallest * 2)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(smallest);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            return "connection lost";
        }
        finally
        {
            acks.Complete();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleFrameAsync(ReadOnlyMemory<byte> json, AckBatcher acks, CancellationToken cancellationToken)
    {
        // Only a send may be longer than an ack frame; a long frame's type is read before the whole of it.
        if (json.Length > limits.MaxWebSocketFrameBytes && ReadLeadingStrings(json.Span).Type != WebSocketFrame.SendType)
        {
            logger.WebSocketFrameIgnored("too long");
            return;
        }

        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize<ClientFrame>(json.Span, RelayJson.Options);
        }
        catch (JsonException e)
        {
            (string? type, string? requestId) = ReadLeadingStrings(json.Span);
            if (type == WebSocketFrame.SendType && IsRequestId(requestId))
            {
                // As JsonBody says for a bad HTTP body: the path names the field, the input stays out.
                string where = string.IsNullOrEmpty(e.Path) ? "the frame" : e.Path;
                await AnswerAsync(SentFrame.From(requestId!, Problems.BadRequest(
                    $"The send frame is not valid at {where} (malformed JSON, a wrong type, or bytes that are not standard base64).")), cancellationToken).ConfigureAwait(false);
                return;
            }

            logger.WebSocketFrameIgnored("not JSON");
            return;
        }

        if (frame?.Type == WebSocketFrame.SendType)
        {
            await HandleSendAsync(frame, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (frame?.Type != WebSocketFrame.AckType)
        {
            logger.WebSocketFrameIgnored("not an ack");
            return;
        }

        if (frame.Ids is null)
        {
            if (!Ids.TryParse(frame.Id, out Guid id))
            {
                logger.WebSocketFrameIgnored("not an ack");
                return;
            }

            await acks.AddAsync(id, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Several ids: all valid, or the frame is ignored as a whole (as a malformed HTTP ack changes nothing).
        if (frame.Id is not null || frame.Ids.Count == 0)
        {
            logger.WebSocketFrameIgnored("not an ack");
            return;
        }

        var parsed = new Guid[frame.Ids.Count];
        for (int i = 0; i < parsed.Length; i++)
        {
            if (!Ids.TryParse(frame.Ids[i], out parsed[i]))
            {
                logger.WebSocketFrameIgnored("not an ack");
                return;
            }
        }

        foreach (Guid id in parsed)
        {
            await acks.AddAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a send frame's messages as <c>POST /v1/messages</c> would (the same checks and limits) and answers
    /// with its status; a storage failure is a 503 answer, and the session goes on. A frame without a usable
    /// <c>requestId</c> could not be matched to its answer, so it is ignored.
    /// </summary>
    private async Task HandleSendAsync(ClientFrame frame, CancellationToken cancellationToken)
    {
        if (!IsRequestId(frame.RequestId))
        {
            logger.WebSocketFrameIgnored($"a send needs a requestId of 1 to {MaxRequestIdLength} characters");
            return;
        }

        Results<Ok<SendResponse>, ProblemHttpResult> result;
        try
        {
            result = await sender.SendAsync(new SendRequest { Messages = frame.Messages }, device, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            bool readOnly = StorageErrors.IsReadOnly(e);
            if (readOnly)
            {
                logger.StorageReadOnly("WebSocket send");
            }
            else
            {
                logger.StorageUnavailable(e.GetType().Name, e.ErrorCode, e);
            }

            result = Problems.StorageUnavailable(readOnly);
        }

        await AnswerAsync(SentFrame.From(frame.RequestId!, result), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A frame over the limit is dropped; a send among them is answered 413, as an HTTP body over the limit is,
    /// when its <c>type</c> and <c>requestId</c> come before its messages (they are read from the frame's start).
    /// </summary>
    private async Task RefuseTooLongAsync(ReadOnlyMemory<byte> start, int largest, CancellationToken cancellationToken)
    {
        (string? type, string? requestId) = ReadLeadingStrings(start.Span);
        if (type != WebSocketFrame.SendType || !IsRequestId(requestId))
        {
            logger.WebSocketFrameIgnored("too long");
            return;
        }

        await AnswerAsync(SentFrame.From(requestId!, Problems.PayloadTooLarge(
            $"A send frame may be at most {largest} bytes, as a request body; nothing was stored.")), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The top-level <c>type</c> and <c>requestId</c> strings of a frame, read without deserializing it (the frame
    /// may be cut short, or not fit a <see cref="ClientFrame"/>): as far as the frame goes, until a property it cannot
    /// read whole. Names match regardless of case, as in deserialization.
    /// </summary>
    internal static (string? Type, string? RequestId) ReadLeadingStrings(ReadOnlySpan<byte> start)
    {
        var reader = new Utf8JsonReader(start, isFinalBlock: false, state: default);
        string? type = null;
        string? requestId = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            while ((type is null || requestId is null) && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                bool isType = name.Equals("type", StringComparison.OrdinalIgnoreCase);
                bool isRequestId = name.Equals("requestId", StringComparison.OrdinalIgnoreCase);
                if (!reader.Read())
                {
                    break;
                }

                if ((isType || isRequestId) && reader.TokenType == JsonTokenType.String)
                {
                    string value = reader.GetString()!;
                    type = isType ? value : type;
                    requestId = isRequestId ? value : requestId;
                }
                else if (!reader.TrySkip())
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not UTF-8 (GetString): nothing more to read.
        }

        return (type, requestId);
    }

    private async Task AnswerAsync(SentFrame answer, CancellationToken cancellationToken)
    {
        _answers.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_answers))
        {
            JsonSerializer.Serialize(writer, answer, RelayJson.Options);
        }

        await SendAsync(_answers.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsRequestId(string? requestId) => requestId is { Length: > 0 and <= MaxRequestIdLength };

    private async Task CloseOutputAsync(WebSocketCloseStatus status)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            // After an answer the receive loop may still be sending.
            await _sending.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                await socket.CloseOutputAsync(status, null, timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone already; nothing to tell it.
        }
    }
}
