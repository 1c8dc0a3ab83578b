using System.Buffers;
using System.Data.Common;
using System.Net.WebSockets;
using System.Text.Json;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Storage;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// One device's push connection. A send loop delivers the backlog, then <c>{"type":"empty"}</c>, then the new
/// messages the notifier hands over (reading the store after a cursor when it says so), never sending a message at
/// or below the cursor, so nothing goes twice on one connection; a receive loop
/// takes ack frames and hands them to an <see cref="AckBatcher"/>, which applies them in batches. Either loop
/// ending ends the session; neither lets an exception escape. Removing the device ends the session (status 1008).
/// What is sent and not acknowledged stays in the store for the next connection.
/// </summary>
/// <param name="batched">
/// The client asked for <c>"messages"</c> frames (<c>?batched=true</c>): what is ready at once goes out in frames of
/// up to <see cref="WebSocketFrameWriter.MaxMessagesPerFrame"/> messages instead of one frame per message.
/// </param>
internal sealed class WebSocketSession(
    WebSocket socket, DeviceAddress device, IAccountStore accounts, IMessageStore messages, MessageNotifier notifier, RelayLimits limits, ILogger logger,
    bool batched)
{
    /// <summary>Why the send loop ends when the notifier revokes the subscription.</summary>
    private const string DeviceRemoved = "device removed";

    /// <summary>Messages read from the store at a time while pushing.</summary>
    private const int PageSize = 100;

    /// <summary>How long a closing handshake may take before the socket is dropped.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The send loop's frames, written into one reused buffer.</summary>
    private readonly WebSocketFrameWriter _frames = new();

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

    /// <summary>Sends one frame of <see cref="_frames"/> (the send loop's only writer, so the buffer is free again after this).</summary>
    private async Task SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);

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
        byte[] buffer = ArrayPool<byte>.Shared.Rent(limits.MaxWebSocketFrameBytes);
        try
        {
            while (true)
            {
                int length = 0;
                bool tooLong = false;
                ValueWebSocketReceiveResult part;
                do
                {
                    Memory<byte> space = buffer.AsMemory(length, limits.MaxWebSocketFrameBytes - length);
                    if (space.IsEmpty)
                    {
                        // Over the limit: keep draining the frame into the start of the buffer, then drop it.
                        tooLong = true;
                        length = 0;
                        space = buffer.AsMemory(0, limits.MaxWebSocketFrameBytes);
                    }

                    part = await socket.ReceiveAsync(space, cancellationToken).ConfigureAwait(false);
                    if (part.MessageType == WebSocketMessageType.Close)
                    {
                        return "closed by client";
                    }

                    length += part.Count;
                }
                while (!part.EndOfMessage);

                if (tooLong || part.MessageType != WebSocketMessageType.Text)
                {
                    logger.WebSocketFrameIgnored(tooLong ? "too long" : "not text");
                    continue;
                }

                await HandleFrameAsync(buffer.AsMemory(0, length), acks, cancellationToken).ConfigureAwait(false);
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
        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize<ClientFrame>(json.Span, RelayJson.Options);
        }
        catch (JsonException)
        {
            logger.WebSocketFrameIgnored("not JSON");
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

    private async Task CloseOutputAsync(WebSocketCloseStatus status)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.CloseOutputAsync(status, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone already; nothing to tell it.
        }
    }
}
