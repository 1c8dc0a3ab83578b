using System.Net.WebSockets;
using System.Text.Json;
using Backchannel.Client.Relay;

namespace Backchannel.Client;

// Push delivery over the relay's WebSocket (docs/relay-api.md "WebSocket push").
public sealed partial class BackchannelClient
{
    /// <summary>Reconnect delays double from this…</summary>
    private static readonly TimeSpan BackoffStart = TimeSpan.FromSeconds(1);

    /// <summary>…up to this cap, so a relay that comes back is noticed within half a minute.</summary>
    private static readonly TimeSpan BackoffCap = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing connection waits for the relay's answer to our close frame.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Largest frame we accept: a 64 KiB message base64-encoded plus JSON around it. A batched frame stops taking
    /// messages once it has reached 64 KiB, so it is at most one such message beyond that.
    /// </summary>
    private const int MaxFrameBytes = 256 * 1024;

    /// <summary>Ids per ack frame: 100 ids of 38 bytes and the frame's 23 fit the relay's 4 KiB frame limit.</summary>
    private const int AcksPerFrame = 100;

    /// <summary>
    /// Stays connected until <paramref name="ct"/> is cancelled: delivers the outbox on every connect, hands each
    /// new message to <paramref name="onMessage"/> after it is stored, acknowledges it, and reconnects with
    /// exponential backoff (capped at 30 s) when the connection drops.
    /// </summary>
    public async Task WatchAsync(Func<ChatMessage, Task> onMessage, Action<string>? onStatus = null, CancellationToken ct = default)
    {
        _ = Account;
        TimeSpan backoff = BackoffStart;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using ClientWebSocket socket = await Relay().ConnectAsync(ct).ConfigureAwait(false);
                backoff = BackoffStart;
                onStatus?.Invoke("connected");
                await FlushOutboxAsync(ct).ConfigureAwait(false);
                await ResumeHistoryCopyAsync(ct).ConfigureAwait(false);
                bool refilled = false;
                await ReceiveAsync(socket, onMessage, async () =>
                {
                    if (!refilled)
                    {
                        refilled = true;
                        await RefillPreKeysAsync(ct).ConfigureAwait(false);
                    }
                    return false;
                }, ct).ConfigureAwait(false);
                onStatus?.Invoke("disconnected");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RelayUnreachableException or WebSocketException or IOException)
            {
                onStatus?.Invoke($"relay unreachable; retrying in {backoff.TotalSeconds:0} s");
            }
            try
            {
                TimeSpan jitter = TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250));
                await Task.Delay(backoff + jitter, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, BackoffCap.Ticks));
        }
    }

    /// <summary>Listens up to <paramref name="wait"/> for the first new message(s).</summary>
    private async Task<List<ChatMessage>> WaitForMessagesAsync(TimeSpan wait, CancellationToken ct)
    {
        var got = new List<ChatMessage>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(wait);
        bool backlogDone = false;
        try
        {
            using ClientWebSocket socket = await Relay().ConnectAsync(deadline.Token).ConfigureAwait(false);
            await ReceiveAsync(socket, m =>
            {
                got.Add(m);
                if (backlogDone)
                {
                    deadline.Cancel();
                }
                return Task.CompletedTask;
            }, () =>
            {
                backlogDone = true;
                return Task.FromResult(got.Count > 0);
            }, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is RelayUnreachableException or WebSocketException)
        {
            throw Translate(e);
        }
        return got;
    }

    /// <summary>
    /// Reads frames until the socket closes. <paramref name="onEmpty"/> runs when the backlog is through and returns
    /// true to stop. Stopping (also through <paramref name="ct"/>) is a graceful close: the relay handles frames in
    /// order, so every acknowledgement sent before our close frame is processed before it answers the close.
    /// </summary>
    private async Task ReceiveAsync(ClientWebSocket socket, Func<ChatMessage, Task> onMessage, Func<Task<bool>> onEmpty, CancellationToken ct)
    {
        using var sendLock = new SemaphoreSlim(1, 1);
        using var hardStop = new CancellationTokenSource();
        using CancellationTokenRegistration onCancel = ct.Register(() => _ = CloseGracefullyAsync(socket, sendLock, hardStop));
        byte[] buffer = new byte[16 * 1024];
        using var frame = new MemoryStream();
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                frame.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, hardStop.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        if (socket.State == WebSocketState.CloseReceived)
                        {
                            await CloseGracefullyAsync(socket, sendLock, hardStop).ConfigureAwait(false);
                        }
                        return;
                    }
                    frame.Write(buffer, 0, result.Count);
                    if (frame.Length > MaxFrameBytes)
                    {
                        throw new WebSocketException("The relay sent an oversized frame.");
                    }
                }
                while (!result.EndOfMessage);

                SocketFrame? parsed;
                try
                {
                    parsed = JsonSerializer.Deserialize<SocketFrame>(frame.GetBuffer().AsSpan(0, (int)frame.Length), RelayClient.Json);
                }
                catch (JsonException)
                {
                    continue;
                }
                if (parsed?.Type == "message" && parsed.Message is { } m)
                {
                    await HandleBatchAsync([m]).ConfigureAwait(false);
                }
                else if (parsed?.Type == "messages" && parsed.Messages is { Count: > 0 } batch)
                {
                    await HandleBatchAsync(batch).ConfigureAwait(false);
                }
                else if (parsed?.Type == "empty" && await onEmpty().ConfigureAwait(false))
                {
                    await CloseGracefullyAsync(socket, sendLock, hardStop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
            // The relay did not answer our close in time.
        }
        finally
        {
            ct.ThrowIfCancellationRequested();
        }

        // Stores every message of a frame (each durably, before anything is acknowledged), acknowledges them in as few
        // frames as the relay's 4 KiB frame limit allows, then shows them in the order they came.
        async Task HandleBatchAsync(IReadOnlyList<IncomingMessageDto> batch)
        {
            var acks = new List<string>(batch.Count);
            var shown = new List<ChatMessage>(batch.Count);
            foreach (IncomingMessageDto? m in batch)
            {
                if (m is null)
                {
                    // A null in the array is no message; the relay never sends one.
                    continue;
                }
                (bool ack, ChatMessage? message) = await ProcessIncomingAsync(m, CancellationToken.None).ConfigureAwait(false);
                if (ack)
                {
                    acks.Add(m.Id);
                }
                if (message is not null)
                {
                    shown.Add(message);
                }
            }
            await ReconcileIfDirtyAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                for (int i = 0; i < acks.Count; i += AcksPerFrame)
                {
                    List<string> ids = acks.GetRange(i, Math.Min(AcksPerFrame, acks.Count - i));
                    SocketFrame ackFrame = ids.Count == 1 ? new SocketFrame("ack", Id: ids[0]) : new SocketFrame("ack", Ids: ids);
                    byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(ackFrame, RelayClient.Json);
                    await sendLock.WaitAsync(hardStop.Token).ConfigureAwait(false);
                    try
                    {
                        // After our close frame nothing more may be sent; the messages are stored and their
                        // acknowledgements follow on the next connection or sync.
                        if (socket.State == WebSocketState.Open)
                        {
                            await socket.SendAsync(bytes, WebSocketMessageType.Text, true, hardStop.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        sendLock.Release();
                    }
                }
            }
            finally
            {
                // Stored already: shown even when the acknowledgement fails (the relay went away), because the next
                // connection's copy of each is a duplicate and is not shown again.
                foreach (ChatMessage message in shown)
                {
                    await onMessage(message).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Sends our close frame (once), then gives the relay a few seconds to answer before the hard stop.</summary>
    private static async Task CloseGracefullyAsync(ClientWebSocket socket, SemaphoreSlim sendLock, CancellationTokenSource hardStop)
    {
        try
        {
            hardStop.CancelAfter(CloseGrace);
            await sendLock.WaitAsync(hardStop.Token).ConfigureAwait(false);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", hardStop.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                sendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
