using System.Data.Common;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backchannel.Relay.Accounts;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Certificates;
using Backchannel.Relay.Devices;
using Backchannel.Relay.Health;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Keys;
using Backchannel.Relay.Messages;
using Backchannel.Relay.Provisioning;
using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.Sqlite;
using Backchannel.Relay.WebSockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Backchannel.Relay;

/// <summary>
/// A Backchannel relay (docs/relay-api.md) that a program hosts: <c>backchannel relay</c> runs one until a
/// signal, <c>backchannel demo</c> embeds one on a free loopback port, tests start one per class.
/// <code>
/// await using RelayServer relay = RelayServer.Build(new RelayOptions { Urls = ["http://127.0.0.1:0"], DataDirectory = dir });
/// IReadOnlyList&lt;string&gt; urls = await relay.StartAsync();   // e.g. ["http://127.0.0.1:41237"]
/// </code>
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RelayOptions _options;
    private readonly X509Certificate2? _certificate;
    private int _state; // 0 built, 1 started, 2 stopped

    private RelayServer(WebApplication app, RelayOptions options, X509Certificate2? certificate)
    {
        _app = app;
        _options = options;
        _certificate = certificate;
        CertificatePin = certificate is null ? null : TlsCertificates.Pin(certificate);
    }

    /// <summary>
    /// What a client pins to trust this relay's TLS certificate: the base64 SHA-256 of its SubjectPublicKeyInfo
    /// (also logged at start-up); null without <see cref="RelayOptions.CertificatePath"/>.
    /// </summary>
    public string? CertificatePin { get; }

    /// <summary>
    /// The sender-certificate trust root's public key (33 bytes, 0x05 and the X25519 key), as
    /// <c>GET /v1/certificate/trust-root</c> serves it. Loads (on the first start: creates) the keys under
    /// <see cref="RelayOptions.DataDirectory"/> if <see cref="StartAsync"/> has not yet.
    /// </summary>
    public byte[] TrustRoot => _app.Services.GetRequiredService<SenderCertificateIssuer>().TrustRoot.Serialize();

    /// <summary>The addresses the relay listens on, with actual ports (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<string> Urls => [.. _app.Urls];

    /// <summary>The host's services (for an embedding program's diagnostics).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Composes a relay: validates <paramref name="options"/> (configuration keys <c>Relay:Limits:*</c> override
    /// the limits), wires storage, authentication, limits and the endpoints. Nothing listens until
    /// <see cref="StartAsync"/>. Throws <see cref="OptionsValidationException"/> for invalid options.
    /// </summary>
    public static RelayServer Build(RelayOptions options) => Build(options, configureServices: null);

    /// <summary>As <see cref="Build(RelayOptions)"/>, letting tests replace services (a failing store, say).</summary>
    internal static RelayServer Build(RelayOptions options, Action<IServiceCollection>? configureServices)
    {
        ArgumentNullException.ThrowIfNull(options);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });

        if (options.Limits is not null)
        {
            builder.Configuration.GetSection("Relay:Limits").Bind(options.Limits);
        }

        List<string> errors = [.. options.Validate()];
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(RelayOptions), typeof(RelayOptions), errors);
        }

        RelayLimits limits = options.Limits!;
        X509Certificate2? certificate = null;
        if (options.CertificatePath is not null)
        {
            try
            {
                certificate = TlsCertificates.Load(options);
            }
            catch (CryptographicException e)
            {
                // The message names the file, never the password.
                throw new OptionsValidationException(nameof(RelayOptions), typeof(RelayOptions), [$"CertificatePath: cannot load the certificate ({e.Message})."]);
            }
        }

        ConfigureLogging(builder, options);
        ConfigureKestrel(builder.WebHost, options, certificate);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        if (!options.HandleProcessSignals)
        {
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }

        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddRelayStorage(options);
        builder.Services.AddSingleton<MessageNotifier>();
        builder.Services.AddSingleton<SendRateLimiter>();
        builder.Services.AddSingleton<RecipientRateLimiters>();
        builder.Services.AddSingleton<MessageSender>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<SenderCertificateIssuer>();
        builder.Services.AddSingleton<ProvisioningMailboxes>();
        builder.Services.AddHostedService<MessageExpiryService>();

        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = FillProblemDefaults);
        builder.Services.AddExceptionHandler<RelayExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json => RelayJson.Configure(json.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(routing => routing.ThrowOnBadRequest = false);
        builder.Services.AddAuthentication(BasicAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddRelayRateLimits(limits);
        configureServices?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealth();
        app.MapAccounts();
        app.MapDevices();
        app.MapProvisioning();
        app.MapCertificates();
        app.MapKeys();
        app.MapMessages();
        app.MapWebSockets();
        return new RelayServer(app, options, certificate);
    }

    /// <summary>Opens the store (creating the schema) and starts listening; returns <see cref="Urls"/>.</summary>
    public async Task<IReadOnlyList<string>> StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The relay was started already.");
        }

        ILogger logger = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RelayServer>();
        if (_app.Services.GetService<SqliteDatabase>() is SqliteDatabase database)
        {
            logger.DatabaseReady(database.Path);
        }

        try
        {
            await _app.Services.GetRequiredService<IStorageHealth>().CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (StorageErrors.IsReadOnly(e))
        {
            // Reads can still be served; writes are answered 503 and /health says why, until the storage is writable.
            logger.StorageReadOnlyAtStart();
        }

        SenderCertificateIssuer issuer = _app.Services.GetRequiredService<SenderCertificateIssuer>();
        logger.CertificateAuthorityReady(issuer.Created ? "created" : "loaded", issuer.Certificate.KeyId);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        logger.RelayStarted(string.Join(", ", Urls), _options.Storage);
        if (CertificatePin is not null)
        {
            logger.TlsCertificatePin(CertificatePin);
        }
        return Urls;
    }

    /// <summary>
    /// Starts if needed, then runs until <paramref name="cancellationToken"/> fires or (with
    /// <see cref="RelayOptions.HandleProcessSignals"/>) SIGINT/SIGTERM arrives; then stops within
    /// <see cref="RelayOptions.ShutdownTimeout"/>.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _state) == 0)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _state, 2);
    }

    /// <summary>Stops listening, closes WebSockets and waits for requests in flight (bounded by the shutdown timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) == 1)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate?.Dispose();
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, RelayOptions options)
    {
        builder.Logging.ClearProviders();
        if (options.ConfigureLogging is not null)
        {
            options.ConfigureLogging(builder.Logging);
            return;
        }

        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        // The framework's per-request lines ("was challenged", "request starting") only at Debug and below.
        LogLevel framework = options.MinimumLogLevel <= LogLevel.Debug ? options.MinimumLogLevel : LogLevel.Warning;
        builder.Logging.AddFilter("Microsoft.AspNetCore", framework);
        builder.Logging.AddFilter(typeof(BasicAuthenticationHandler).FullName, framework);
        if (options.MinimumLogLevel != LogLevel.None)
        {
            // stderr only: `backchannel --json relay` keeps stdout for its JSON lines.
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }
    }

    private static void ConfigureKestrel(IWebHostBuilder webHost, RelayOptions options, X509Certificate2? certificate)
    {
        webHost.UseUrls([.. options.Urls]);
        if (certificate is not null)
        {
            // The slim builder leaves HTTPS out unless asked.
            webHost.UseKestrelHttpsConfiguration();
        }

        webHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (certificate is not null)
            {
                // Every https:// URL is served with this certificate.
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }

            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxRequestBodyBytes;
            // Slow clients: a body must arrive at 240 B/s after a 5 s grace; headers within 15 s.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: options.Limits.SlowBodyGracePeriod);
            kestrel.Limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: options.Limits.SlowBodyGracePeriod);
            kestrel.Limits.RequestHeadersTimeout = options.Limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
        });
    }

    private static void FillProblemDefaults(ProblemDetailsContext context)
    {
        int status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
        context.ProblemDetails.Status = status;
        context.ProblemDetails.Type ??= Problems.TypeFor(status);
        context.ProblemDetails.Detail ??= Problems.DefaultDetail(status);
    }
}
