using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backchannel.Relay.Tests.Hosting;

/// <summary>HTTPS with the operator's certificate (PKCS#12 or PEM), and clients that pin it.</summary>
public sealed class HttpsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-relay-tls-" + Guid.NewGuid().ToString("N"));

    public HttpsTests()
    {
        Directory.CreateDirectory(_directory);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=backchannel-relay-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private RelayOptions Options(string certificatePath, string? password = null, string? keyPath = null) => new()
    {
        Urls = ["https://127.0.0.1:0"],
        Storage = RelayStorageKind.InMemory,
        MinimumLogLevel = LogLevel.None,
        HandleProcessSignals = false,
        CertificatePath = certificatePath,
        CertificatePassword = password,
        CertificateKeyPath = keyPath,
    };

    private static HttpClient Pinned(Uri address, string expectedPin) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null
                && Convert.ToBase64String(SHA256.HashData(new X509Certificate2(certificate).PublicKey.ExportSubjectPublicKeyInfo())) == expectedPin,
        },
    })
    { BaseAddress = address };

    [Fact]
    public async Task A_pkcs12_certificate_serves_https_to_a_pinning_client_and_a_default_client_refuses_it()
    {
        using X509Certificate2 certificate = SelfSigned();
        string pfx = Path.Combine(_directory, "relay.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "s3cret"));
        string expectedPin = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));

        var log = new CapturedLog();
        RelayOptions options = Options(pfx, "s3cret");
        options.ConfigureLogging = logging => logging.AddProvider(log);
        await using RelayServer server = RelayServer.Build(options);
        var address = new Uri((await server.StartAsync())[0]);
        Assert.Equal("https", address.Scheme);
        Assert.Equal(expectedPin, server.CertificatePin);
        Assert.Contains(expectedPin, log.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", log.Text, StringComparison.Ordinal);

        using HttpClient pinned = Pinned(address, expectedPin);
        JsonObject health = (await pinned.GetFromJsonAsync<JsonObject>("/health"))!;
        Assert.Equal("ok", (string)health["status"]!);

        using var strict = new HttpClient { BaseAddress = address };
        await Assert.ThrowsAsync<HttpRequestException>(() => strict.GetAsync("/health"));
        using HttpClient wrongPin = Pinned(address, Convert.ToBase64String(new byte[32]));
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongPin.GetAsync("/health"));
    }

    [Fact]
    public async Task A_pem_certificate_and_key_serve_https()
    {
        using X509Certificate2 certificate = SelfSigned();
        string certPath = Path.Combine(_directory, "relay.crt");
        string keyPath = Path.Combine(_directory, "relay.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        await using RelayServer server = RelayServer.Build(Options(certPath, keyPath: keyPath));
        var address = new Uri((await server.StartAsync())[0]);
        using HttpClient pinned = Pinned(address, server.CertificatePin!);
        using HttpResponseMessage response = await pinned.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void Https_without_a_certificate_or_with_an_unreadable_one_is_refused_at_build()
    {
        RelayOptions missing = Options(null!);
        missing.CertificatePath = null;
        Assert.Contains(Assert.Throws<OptionsValidationException>(() => RelayServer.Build(missing)).Failures, f => f.Contains("CertificatePath", StringComparison.Ordinal));

        string garbage = Path.Combine(_directory, "garbage.pfx");
        File.WriteAllBytes(garbage, [1, 2, 3]);
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => RelayServer.Build(Options(garbage, "s3cret")));
        Assert.DoesNotContain("s3cret", string.Join(' ', error.Failures), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
