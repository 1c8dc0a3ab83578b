using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>Base64 SHA-256 of the relay's TLS SubjectPublicKeyInfo; when set, only a certificate with that key is accepted.</summary>
    private readonly string? _pin;

    /// <summary>Why the last TLS certificate was refused, for the error message.</summary>
    private volatile string? _certificateRefusal;

    /// <param name="pin">
    /// When set, the TLS certificate is accepted if and only if its SPKI hash equals the pin (chain errors are then
    /// ignored, and a valid chain with another key is refused); when null, normal system validation applies.
    /// A caller-supplied <paramref name="handler"/> does its own TLS (tests); the pin still applies to the WebSocket.
    /// </param>
    public RelayClient(Uri baseUri, HttpMessageHandler? handler = null, string? pin = null)
    {
        _baseUri = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        _pin = pin;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = ValidateCertificate } }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
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

    /// <summary>The device ids of any account, lowest first.</summary>
    public Task<DeviceIdsResponse> GetAccountDevicesAsync(string account, CancellationToken ct) =>
        SendAsync<DeviceIdsResponse>(HttpMethod.Get, $"v1/accounts/{Uri.EscapeDataString(account)}/devices", null, authenticate: true, ct);

    /// <summary>One device's bundle (takes one of its one-time prekeys).</summary>
    public Task<BundleResponse> GetDeviceBundleAsync(string account, int device, CancellationToken ct) =>
        SendAsync<BundleResponse>(HttpMethod.Get, $"v1/keys/{Uri.EscapeDataString(account)}/{device}", null, authenticate: true, ct);

    /// <summary>Opens a provisioning mailbox (no authentication).</summary>
    public Task<ProvisioningIdResponse> OpenProvisioningAsync(CancellationToken ct) =>
        SendAsync<ProvisioningIdResponse>(HttpMethod.Post, "v1/provisioning", null, authenticate: false, ct);

    /// <summary>Puts the (client-encrypted) provisioning message into a mailbox.</summary>
    public Task PutProvisioningAsync(string id, byte[] message, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Put, $"v1/provisioning/{Uri.EscapeDataString(id)}", new ProvisioningMessage(message), authenticate: true, ct);

    /// <summary>The provisioning message, or a 404 <see cref="RelayProblemException"/> while there is none.</summary>
    public Task<ProvisioningMessage> GetProvisioningAsync(string id, CancellationToken ct) =>
        SendAsync<ProvisioningMessage>(HttpMethod.Get, $"v1/provisioning/{Uri.EscapeDataString(id)}", null, authenticate: false, ct);

    public Task<LinkTokenResponse> GetLinkTokenAsync(CancellationToken ct) =>
        SendAsync<LinkTokenResponse>(HttpMethod.Post, "v1/devices/link-token", null, authenticate: true, ct);

    public Task<RegisterResponse> LinkDeviceAsync(LinkDeviceRequest request, CancellationToken ct) =>
        SendAsync<RegisterResponse>(HttpMethod.Post, "v1/devices", request, authenticate: false, ct);

    public Task<DeviceListResponse> GetDevicesAsync(CancellationToken ct) =>
        SendAsync<DeviceListResponse>(HttpMethod.Get, "v1/devices", null, authenticate: true, ct);

    public Task RemoveDeviceAsync(int device, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Delete, $"v1/devices/{device}", null, authenticate: true, ct);

    /// <summary>Opens <c>/v1/websocket</c>, authenticated.</summary>
    public async Task<ClientWebSocket> ConnectAsync(CancellationToken ct)
    {
        // Batched: what is ready comes in one "messages" frame, so a backlog costs a frame per batch (and one ack frame).
        var builder = new UriBuilder(new Uri(_baseUri, "v1/websocket?batched=true"));
        builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
        var socket = new ClientWebSocket();
        if (_auth is not null)
        {
            socket.Options.SetRequestHeader("Authorization", _auth.ToString());
        }
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        socket.Options.RemoteCertificateValidationCallback = ValidateCertificate;
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
            if (CertificateFailure(e) is { } refused)
            {
                throw refused;
            }
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
            if (CertificateFailure(e) is { } refused)
            {
                throw refused;
            }
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

    /// <summary>Base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as the relay logs it (RelayServer.CertificatePin).</summary>
    public static string Pin(X509Certificate certificate)
    {
        X509Certificate2 cert = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        try
        {
            return Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
        }
        finally
        {
            if (!ReferenceEquals(cert, certificate))
            {
                cert.Dispose();
            }
        }
    }

    /// <summary>A pin is the base64 of 32 bytes.</summary>
    public static bool IsValidPin(string? pin)
    {
        Span<byte> buffer = stackalloc byte[33];
        return pin is not null && Convert.TryFromBase64String(pin, buffer, out int written) && written == 32;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_pin is not null)
        {
            if (certificate is null)
            {
                _certificateRefusal = "it sent no certificate";
                return false;
            }
            string actual = Pin(certificate);
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actual), Encoding.ASCII.GetBytes(_pin)))
            {
                return true;
            }
            _certificateRefusal = $"its certificate key {actual} does not match the pin {_pin}";
            return false;
        }
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        _certificateRefusal = $"its certificate failed validation ({errors})";
        return false;
    }

    /// <summary>A typed error when <paramref name="e"/> comes from a refused TLS certificate, else null.</summary>
    private BackchannelException? CertificateFailure(Exception e)
    {
        bool tls = false;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            tls |= x is AuthenticationException;
        }
        string? why = _certificateRefusal;
        if (!tls || why is null)
        {
            return null;
        }
        string advice = _pin is null
            ? "Fix the relay's certificate, or get a pinned invite (or the pin the relay logs at start-up) and use `init --pin PIN`."
            : "Someone may be impersonating the relay, or its certificate key changed; get a new pinned invite or the relay's current pin.";
        return new BackchannelException(ErrorKinds.RelayCertificateInvalid,
            $"Refusing the relay at {_baseUri}: {why}. {advice}", e);
    }

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };

    public void Dispose() => _http.Dispose();
}
