using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Backchannel.Client.Relay;

/// <summary>
/// HTTP and WebSocket client for docs/relay-api.md. Knows the wire format and authentication, nothing about
/// keys or plaintext. Connection failures, timeouts and 5xx answers become <see cref="RelayUnreachableException"/>;
/// 4xx answers become <see cref="RelayProblemException"/>.
/// </summary>
internal sealed class RelayClient : IDisposable
{
    /// <summary>Long enough for a slow relay, short enough that `send` answers well within 60 s.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private AuthenticationHeaderValue? _auth;

    public RelayClient(Uri baseUri, HttpMessageHandler? handler = null)
    {
        _baseUri = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = _baseUri;
        _http.Timeout = RequestTimeout;
    }

    public Uri BaseUri => _baseUri;

    public void SetCredentials(string account, int device, string credential)
    {
        string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}.{device}:{credential}"));
        _auth = new AuthenticationHeaderValue("Basic", token);
    }

    public async Task<RegisterResponse> RegisterAsync(RegisterRequest request, CancellationToken ct) =>
        await SendAsync<RegisterResponse>(HttpMethod.Post, "v1/accounts", request, authenticate: false, ct).ConfigureAwait(false);

    public Task UploadKeysAsync(UploadKeysRequest request, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Put, "v1/keys", request, authenticate: true, ct);

    public Task<KeyCountResponse> GetKeyCountAsync(CancellationToken ct) =>
        SendAsync<KeyCountResponse>(HttpMethod.Get, "v1/keys/count", null, authenticate: true, ct);

    public Task<BundleResponse> GetBundleAsync(string account, CancellationToken ct) =>
        SendAsync<BundleResponse>(HttpMethod.Get, $"v1/keys/{Uri.EscapeDataString(account)}/*", null, authenticate: true, ct);

    public Task<SendResponse> SendMessagesAsync(IReadOnlyList<OutgoingMessageDto> messages, CancellationToken ct) =>
        SendAsync<SendResponse>(HttpMethod.Post, "v1/messages", new SendRequest(messages), authenticate: true, ct);

    /// <summary>Sealed delivery: no credentials, only the recipient's access key; every message goes to one account.</summary>
    public Task<SendResponse> SendSealedAsync(IReadOnlyList<OutgoingMessageDto> messages, byte[] accessKey, CancellationToken ct) =>
        SendAsync<SendResponse>(HttpMethod.Post, "v1/messages/sealed", new SendRequest(messages), authenticate: false, ct,
            ("Unidentified-Access-Key", Convert.ToBase64String(accessKey)));

    public Task<TrustRootResponse> GetTrustRootAsync(CancellationToken ct) =>
        SendAsync<TrustRootResponse>(HttpMethod.Get, "v1/certificate/trust-root", null, authenticate: false, ct);

    public Task<CertificateResponse> GetSenderCertificateAsync(CancellationToken ct) =>
        SendAsync<CertificateResponse>(HttpMethod.Get, "v1/certificate", null, authenticate: true, ct);

    public Task<FetchResponse> FetchAsync(int limit, CancellationToken ct) =>
        SendAsync<FetchResponse>(HttpMethod.Get, $"v1/messages?limit={limit}", null, authenticate: true, ct);

    public Task AckAsync(IReadOnlyList<string> ids, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Post, "v1/messages/ack", new AckRequest(ids), authenticate: true, ct);

    /// <summary>Opens <c>/v1/websocket</c>, authenticated.</summary>
    public async Task<ClientWebSocket> ConnectAsync(CancellationToken ct)
    {
        var builder = new UriBuilder(new Uri(_baseUri, "v1/websocket"));
        builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
        var socket = new ClientWebSocket();
        if (_auth is not null)
        {
            socket.Options.SetRequestHeader("Authorization", _auth.ToString());
        }
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            await socket.ConnectAsync(builder.Uri, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            socket.Dispose();
            throw new RelayUnreachableException($"Cannot open a WebSocket to the relay at {_baseUri}: {e.Message}", e);
        }
    }

    public async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri("health", UriKind.Relative), ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool authenticate, CancellationToken ct,
        (string Name, string Value)? header = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (header is { } h)
        {
            request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }
        if (authenticate)
        {
            request.Headers.Authorization = _auth ?? throw new InvalidOperationException("No relay credentials set.");
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new RelayUnreachableException($"The relay at {_baseUri} is unreachable ({Describe(e)}).", e);
        }
        using (response)
        {
            if ((int)response.StatusCode >= 500)
            {
                throw new RelayUnreachableException($"The relay at {_baseUri} answered {(int)response.StatusCode}.");
            }
            if (!response.IsSuccessStatusCode)
            {
                string detail = await ReadProblemAsync(response, ct).ConfigureAwait(false);
                throw new RelayProblemException(response.StatusCode, detail);
            }
            if (typeof(T) == typeof(object) || response.StatusCode == HttpStatusCode.NoContent)
            {
                return default!;
            }
            try
            {
                return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
                    ?? throw new RelayUnreachableException("The relay sent an empty answer.");
            }
            catch (JsonException e)
            {
                throw new RelayUnreachableException("The relay sent an answer this client does not understand.", e);
            }
        }
    }

    private static async Task<string> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                string? detail = doc.RootElement.TryGetProperty("detail", out JsonElement d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                string? title = doc.RootElement.TryGetProperty("title", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                return $"{status}: {detail ?? title ?? "no detail"}";
            }
        }
        catch (JsonException)
        {
        }
        return status;
    }

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };

    public void Dispose() => _http.Dispose();
}
