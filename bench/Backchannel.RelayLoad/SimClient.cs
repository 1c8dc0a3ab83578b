using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Backchannel.Protocol;

namespace Backchannel.RelayLoad;

/// <summary>
/// One simulated client: an account with device 1, a Signal identity and in-memory protocol store, sessions with its
/// peers, a WebSocket to the relay. Sends real SignalMessages (batched per request as due), decrypts what arrives and
/// acknowledges it over the socket.
/// </summary>
internal sealed class SimClient : IAsyncDisposable
{
    private static readonly TimeProvider Time = TimeProvider.System;

    private readonly HttpClient _http;
    private readonly Uri _relay;
    private readonly IdentityKeyPair _identity;
    private readonly InMemoryProtocolStore _store;
    private readonly object _storeLock = new();

    /// <summary>The receive loop's plaintext buffer (one receive loop per client), reused for every message.</summary>
    private byte[] _plaintext = new byte[1024];
    private readonly Dictionary<string, SessionCipher> _ciphers = [];
    private readonly string _credential;
    private AuthenticationHeaderValue? _auth;
    private ClientWebSocket? _socket;
    private Task? _receiveLoop;
    private Task? _ackLoop;

    /// <summary>Ids decrypted and not yet acknowledged, for the ack loop (unused with <see cref="AckEach"/>).</summary>
    private readonly Channel<string> _acks = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Ids per ack frame: 100 of 38 bytes plus the frame's 23 fit the relay's 4 KiB frame limit.</summary>
    private const int AcksPerFrame = 100;

    public SimClient(HttpClient http, Uri relay, int index, bool opaqueContent = false, bool ackEach = false, bool pushEach = false, bool socketSend = false)
    {
        _http = http;
        _relay = relay;
        Index = index;
        OpaqueContent = opaqueContent;
        AckEach = ackEach;
        PushEach = pushEach;
        SocketSend = socketSend;
        _identity = IdentityKeyPair.Generate();
        _store = new InMemoryProtocolStore(_identity, KeyHelper.GenerateRegistrationId());
        _credential = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public int Index { get; }

    /// <summary>
    /// Send random bytes of a SignalMessage's size instead of encrypting, and read the due time from them instead of
    /// decrypting (<c>--opaque-content</c>): the relay sees the same traffic, the load generator spends no CPU on the
    /// Signal Protocol. Shows what the relay does when it is not sharing the two cores with real clients' crypto.
    /// </summary>
    public bool OpaqueContent { get; }

    /// <summary>
    /// One ack frame per message, sent by the receive loop before it reads the next frame (<c>--ack-each</c>).
    /// Otherwise an ack loop sends one frame for all the ids decrypted since its last one: under load that is one
    /// frame (one write, one relay read and parse) per batch, as a real client acknowledging what it has stored would.
    /// </summary>
    public bool AckEach { get; }

    /// <summary>
    /// Connect without <c>?batched=true</c>, so that the relay pushes one frame per message (<c>--push-each</c>);
    /// otherwise it sends what is ready at once in <c>"messages"</c> frames.
    /// </summary>
    public bool PushEach { get; }

    /// <summary>
    /// Send each batch as a <c>"send"</c> frame on the client's socket and wait for its <c>"sent"</c> answer
    /// (the default; <c>--http-send</c>: a <c>POST /v1/messages</c> instead): no HTTP request per batch on either side.
    /// </summary>
    public bool SocketSend { get; }

    /// <summary>One frame at a time on the socket: the send loop's sends, the acks, the close.</summary>
    private readonly SemaphoreSlim _socketSending = new(1, 1);

    /// <summary>The answer the send loop waits for (one send in flight per client), completed by the receive loop.</summary>
    private TaskCompletionSource<(int Status, string Frame)>? _pendingSend;

    /// <summary>The last send frame's requestId.</summary>
    private long _requests;

    /// <summary>Size of an opaque message: the 227-byte SignalMessage of a 160-byte plaintext.</summary>
    private const int OpaqueContentBytes = 227;

    public string Account { get; private set; } = "";

    public List<SimClient> Peers { get; } = [];

    /// <summary>Whether received messages are acknowledged (off in the storage phase).</summary>
    public volatile bool Ack = true;

    /// <summary>Measurement state, shared by all clients of a run.</summary>
    public RunCounters? Counters { get; set; }

    public long SendErrors;
    public long ReceiveErrors;

    /// <summary>Per message k of the current send loop: when its batch started (encryption), when the request went out, when it was answered.</summary>
    private readonly List<long> _batchStarted = [];
    private readonly List<long> _posted = [];
    private readonly List<long> _answered = [];

    /// <summary>Timestamps of message <paramref name="k"/> on the sending side (read after the run only).</summary>
    public (long BatchStarted, long Posted, long Answered) SendTimes(long k) =>
        k < _answered.Count ? (_batchStarted[(int)k], _posted[(int)k], _answered[(int)k]) : (0, 0, 0);

    public async Task RegisterAsync(CancellationToken ct)
    {
        long now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        using SignedPreKeyRecord signed = KeyHelper.GenerateSignedPreKey(_identity, 1, now);
        using KyberPreKeyRecord kyber = KeyHelper.GenerateKyberPreKey(_identity, 1, now);
        lock (_storeLock)
        {
            _store.StoreSignedPreKey(1, SignedPreKeyRecord.Deserialize(signed.Serialize()));
            _store.StoreKyberPreKey(1, KyberPreKeyRecord.Deserialize(kyber.Serialize()), isLastResort: true);
        }

        var body = new
        {
            credential = _credential,
            registrationId = _store.GetLocalRegistrationId(),
            identityKey = _identity.PublicKey.Serialize(),
            signedPreKey = new { id = signed.Id, publicKey = signed.PublicKey, signature = signed.Signature },
            kyberLastResortPreKey = new { id = kyber.Id, publicKey = kyber.PublicKey, signature = kyber.Signature },
        };
        using HttpResponseMessage r = await _http.PostAsync(new Uri(_relay, "v1/accounts"),
            new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            ct).ConfigureAwait(false);
        await EnsureAsync(r, "register").ConfigureAwait(false);
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        Account = doc.RootElement.GetProperty("account").GetString()!;
        _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Account}.1:{_credential}")));
    }

    /// <summary>
    /// Starts a session with <paramref name="peer"/> from its relay bundle (GET /v1/keys), then does the first round
    /// trip in memory (a PreKeySignalMessage and a reply), so that both sides send plain SignalMessages from then on.
    /// </summary>
    public async Task EstablishSessionAsync(SimClient peer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_relay, $"v1/keys/{peer.Account}/1"));
        request.Headers.Authorization = _auth;
        using HttpResponseMessage r = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureAsync(r, "bundle").ConfigureAwait(false);
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        JsonElement root = doc.RootElement;
        JsonElement d = root.GetProperty("devices")[0];
        JsonElement spk = d.GetProperty("signedPreKey");
        JsonElement kpk = d.GetProperty("kyberPreKey");
        JsonElement pk = d.TryGetProperty("preKey", out JsonElement p) ? p : default;
        bool hasPk = pk.ValueKind == JsonValueKind.Object;
        var bundle = new PreKeyBundle(
            d.GetProperty("registrationId").GetUInt32(), d.GetProperty("deviceId").GetInt32(),
            hasPk ? pk.GetProperty("id").GetUInt32() : null, hasPk ? pk.GetProperty("publicKey").GetBytesFromBase64() : null,
            spk.GetProperty("id").GetUInt32(), spk.GetProperty("publicKey").GetBytesFromBase64(), spk.GetProperty("signature").GetBytesFromBase64(),
            root.GetProperty("identityKey").GetBytesFromBase64(),
            kpk.GetProperty("id").GetUInt32(), kpk.GetProperty("publicKey").GetBytesFromBase64(), kpk.GetProperty("signature").GetBytesFromBase64());
        CiphertextMessage hello;
        lock (_storeLock)
        {
            SessionBuilder.ProcessPreKeyBundle(_store, new ProtocolAddress(peer.Account, 1), bundle, Time);
            hello = Cipher(peer.Account).Encrypt("hello"u8);
        }

        byte[] reply = peer.HandshakeReply(Account, hello);
        lock (_storeLock)
        {
            Cipher(peer.Account).Decrypt(CiphertextMessage.WhisperType, reply);
        }
    }

    private byte[] HandshakeReply(string from, CiphertextMessage hello)
    {
        lock (_storeLock)
        {
            SessionCipher c = Cipher(from);
            c.Decrypt(hello.Type, hello.Serialize());
            CiphertextMessage m = c.Encrypt("hi"u8);
            if (m.Type != CiphertextMessage.WhisperType)
            {
                throw new InvalidOperationException("The reply is not a SignalMessage.");
            }

            return m.Serialize();
        }
    }

    private SessionCipher Cipher(string account)
    {
        if (!_ciphers.TryGetValue(account, out SessionCipher? c))
        {
            c = new SessionCipher(_store, new ProtocolAddress(account, 1), Time);
            _ciphers[account] = c;
        }

        return c;
    }

    public async Task ConnectAsync(CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", _auth!.ToString());
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var ws = new UriBuilder(new Uri(_relay, PushEach ? "v1/websocket" : "v1/websocket?batched=true")) { Scheme = "ws" }.Uri;
        await socket.ConnectAsync(ws, ct).ConfigureAwait(false);
        _socket = socket;
        if (!AckEach)
        {
            _ackLoop = Task.Run(() => AckLoopAsync(CancellationToken.None), CancellationToken.None);
        }

        _receiveLoop = Task.Run(() => ReceiveLoopAsync(CancellationToken.None), CancellationToken.None);
    }

    /// <summary>
    /// Open-loop sender: message k of this client is due at start + offset + k * interval; every message due is
    /// encrypted and sent in one request of up to 100 (a client that fell behind catches up in full batches).
    /// Latency counts from the due time, so a slow relay cannot hide delay by slowing the sender down.
    /// With an infinite rate it sends batches of 100 back to back and counts from the batch's start.
    /// </summary>
    public async Task SendLoopAsync(double ratePerClient, long start, long end, int plaintextBytes, CancellationToken ct)
    {
        RunCounters counters = Counters!;
        bool closedLoop = double.IsPositiveInfinity(ratePerClient);
        double interval = closedLoop ? 0 : Stopwatch.Frequency / ratePerClient;
        double offset = closedLoop ? 0 : interval * Index / Math.Max(1, counters.Clients);
        long k = 0;
        int peer = 0;
        _batchStarted.Clear();
        _posted.Clear();
        _answered.Clear();
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        byte[] plaintext = new byte[OpaqueContent ? OpaqueContentBytes : plaintextBytes];
        RandomNumberGenerator.Fill(plaintext);
        while (!ct.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            int count;
            if (closedLoop)
            {
                count = 100;
            }
            else
            {
                long dueNow = (long)Math.Floor((now - start - offset) / interval) + 1;
                long scheduledBeforeEnd = (long)Math.Ceiling((end - start - offset) / interval);
                dueNow = Math.Min(dueNow, scheduledBeforeEnd);
                count = (int)Math.Min(100, dueNow - k);
                if (count <= 0)
                {
                    long nextDue = start + (long)(offset + k * interval);
                    double waitMs = (nextDue - now) * 1000.0 / Stopwatch.Frequency;
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, waitMs)), ct).ConfigureAwait(false);
                    continue;
                }
            }

            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                if (SocketSend)
                {
                    w.WriteString("type", "send");
                    w.WriteString("requestId", (++_requests).ToString(CultureInfo.InvariantCulture));
                }

                w.WriteStartArray("messages");
                lock (_storeLock)
                {
                    for (int i = 0; i < count; i++)
                    {
                        long due = closedLoop ? now : start + (long)(offset + (k + i) * interval);
                        SimClient to = Peers[peer];
                        peer = (peer + 1) % Peers.Count;
                        BinaryPrimitives.WriteInt64LittleEndian(plaintext, due);
                        BinaryPrimitives.WriteInt64LittleEndian(plaintext.AsSpan(8), k + i);
                        BinaryPrimitives.WriteInt32LittleEndian(plaintext.AsSpan(16), Index);
                        w.WriteStartObject();
                        w.WriteString("id", Guid.NewGuid().ToString("D"));
                        w.WriteString("to", to.Account);
                        w.WriteNumber("device", 1);
                        if (OpaqueContent)
                        {
                            w.WriteNumber("type", CiphertextMessage.WhisperType);
                            w.WriteBase64String("content", plaintext);
                        }
                        else
                        {
                            CiphertextMessage m = Cipher(to.Account).Encrypt(plaintext);
                            w.WriteNumber("type", m.Type);
                            w.WriteBase64String("content", m.Serialize());
                        }

                        w.WriteEndObject();
                        counters.CountSent(due);
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            long posted = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                _batchStarted.Add(now);
                _posted.Add(posted);
                _answered.Add(0);
            }

            long first = k;
            k += count;
            (int status, string? refusal) = SocketSend
                ? await SendOverSocketAsync(buffer.WrittenMemory, ct).ConfigureAwait(false)
                : await PostAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
            long answered = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                _answered[(int)(first + i)] = answered;
            }

            if (status != 200)
            {
                Interlocked.Add(ref SendErrors, count);
                counters.Note($"send {status}: {refusal}");
            }
        }
    }

    /// <summary><c>POST /v1/messages</c> with <paramref name="body"/>; returns the status (0: no answer) and, unless 200, why.</summary>
    private async Task<(int Status, string? Refusal)> PostAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_relay, "v1/messages"))
        {
            Content = new ReadOnlyMemoryContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Authorization = _auth;
        try
        {
            using HttpResponseMessage r = await _http.SendAsync(request, ct).ConfigureAwait(false);
            return r.IsSuccessStatusCode ? (200, null) : ((int)r.StatusCode, await r.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        }
        catch (HttpRequestException e)
        {
            return (0, e.Message);
        }
    }

    /// <summary>
    /// <paramref name="frame"/> (a <c>"send"</c> frame) on the socket, then its <c>"sent"</c> answer from the receive
    /// loop; returns the answer's status (0: none) and, unless 200, the frame.
    /// </summary>
    private async Task<(int Status, string? Refusal)> SendOverSocketAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        var answer = new TaskCompletionSource<(int Status, string Frame)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pendingSend, answer);
        try
        {
            await SendFrameAsync(frame, ct).ConfigureAwait(false);
            (int status, string text) = await answer.Task.WaitAsync(SendTimeout, ct).ConfigureAwait(false);
            return (status, status == 200 ? null : text);
        }
        catch (Exception e) when (e is WebSocketException or TimeoutException or ObjectDisposedException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>How long a send may wait for its answer, as the HTTP client's timeout.</summary>
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One whole text frame, after any other frame of this client has gone out.</summary>
    private async Task SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await _socketSending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _socket!.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
        }
        finally
        {
            _socketSending.Release();
        }
    }

    /// <summary>Sends <paramref name="count"/> messages to the peers in batches of 100, as fast as the relay takes them.</summary>
    public async Task SendBurstAsync(int count, int plaintextBytes, CancellationToken ct)
    {
        long before = Stopwatch.GetTimestamp();
        double rate = count / 0.5; // due within half a second: full batches
        await SendLoopAsync(rate, before, before + (long)(Stopwatch.Frequency * 0.5) + 1, plaintextBytes, ct).ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        ClientWebSocket socket = _socket!;
        byte[] buffer = new byte[256 * 1024];
        byte[] ack = new byte[128];
        var ids = new List<string>();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                int length = 0;
                ValueWebSocketReceiveResult part;
                do
                {
                    if (length == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    part = await socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    if (part.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    length += part.Count;
                }
                while (!part.EndOfMessage);

                ids.Clear();
                Handle(buffer.AsSpan(0, length), Stopwatch.GetTimestamp(), ids);
                if (!Ack)
                {
                    continue;
                }

                foreach (string id in ids)
                {
                    if (!AckEach)
                    {
                        _acks.Writer.TryWrite(id);
                        continue;
                    }

                    int n = Encoding.UTF8.GetBytes($"{{\"type\":\"ack\",\"id\":\"{id}\"}}", ack);
                    await SendFrameAsync(ack.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Exchange(ref _pendingSend, null)?.TrySetException(new WebSocketException("The socket closed before the send was answered."));
        }
    }

    /// <summary>Sends the queued ids, up to <see cref="AcksPerFrame"/> per frame, until the queue is completed.</summary>
    private async Task AckLoopAsync(CancellationToken ct)
    {
        ClientWebSocket socket = _socket!;
        var frame = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (await _acks.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                frame.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(frame))
                {
                    w.WriteStartObject();
                    w.WriteString("type", "ack");
                    w.WriteStartArray("ids");
                    for (int i = 0; i < AcksPerFrame && _acks.Reader.TryRead(out string? id); i++)
                    {
                        w.WriteStringValue(id);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                await SendFrameAsync(frame.WrittenMemory, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Decrypts the message of a <c>"message"</c> frame, or each of a <c>"messages"</c> frame, records its latency
    /// and adds its id to <paramref name="ids"/> (to acknowledge); hands a <c>"sent"</c> frame to the waiting send.
    /// </summary>
    private void Handle(ReadOnlySpan<byte> frame, long received, List<string> ids)
    {
        using JsonDocument doc = JsonDocument.Parse(frame.ToArray());
        JsonElement root = doc.RootElement;
        switch (root.GetProperty("type").GetString())
        {
            case "message":
                ids.Add(HandleMessage(root.GetProperty("message"), received));
                break;
            case "messages":
                foreach (JsonElement m in root.GetProperty("messages").EnumerateArray())
                {
                    ids.Add(HandleMessage(m, received));
                }

                break;
            case "sent":
                Interlocked.Exchange(ref _pendingSend, null)?.TrySetResult((root.GetProperty("status").GetInt32(), Encoding.UTF8.GetString(frame)));
                break;
        }
    }

    /// <summary>Decrypts one pushed message and records its latency; returns its id.</summary>
    private string HandleMessage(JsonElement m, long received)
    {
        string id = m.GetProperty("id").GetString()!;
        string source = m.GetProperty("source").GetString()!;
        int type = m.GetProperty("type").GetInt32();
        byte[] content = m.GetProperty("content").GetBytesFromBase64();
        if (OpaqueContent)
        {
            Count(content, Stopwatch.GetTimestamp(), received);
            return id;
        }

        if (_plaintext.Length < content.Length)
        {
            _plaintext = new byte[content.Length];
        }

        int length;
        try
        {
            lock (_storeLock)
            {
                length = Cipher(source).Decrypt(type, content, _plaintext);
            }
        }
        catch (ProtocolException e)
        {
            Interlocked.Increment(ref ReceiveErrors);
            Counters?.Note("decrypt: " + e.GetType().Name);
            return id;
        }

        Count(_plaintext.AsSpan(0, length), Stopwatch.GetTimestamp(), received);
        return id;
    }

    /// <summary>
    /// Records a delivered message from what its sender put in front of the plaintext: the due time, its index k in
    /// the sender's loop and the sender's client index (an int, so that the run's arrival records hold no strings:
    /// strings kept per message made every gen0 collection of the generator promote megabytes).
    /// </summary>
    private void Count(ReadOnlySpan<byte> plain, long decrypted, long received) =>
        Counters?.CountDelivered(Index, BinaryPrimitives.ReadInt64LittleEndian(plain), decrypted,
            BinaryPrimitives.ReadInt32LittleEndian(plain[16..]), BinaryPrimitives.ReadInt64LittleEndian(plain[8..]), received);

    private static async Task EnsureAsync(HttpResponseMessage r, string what)
    {
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket is not null)
        {
            // The ack loop sends its last frame before the close (one sender at a time on a WebSocket).
            _acks.Writer.TryComplete();
            if (_ackLoop is not null)
            {
                await _ackLoop.ConfigureAwait(false);
            }

            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }

            _socket.Abort();
            if (_receiveLoop is not null)
            {
                await _receiveLoop.ConfigureAwait(false);
            }

            _socket.Dispose();
        }

        _identity.Dispose();
    }
}
