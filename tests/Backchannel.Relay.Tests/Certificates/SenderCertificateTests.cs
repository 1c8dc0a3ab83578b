using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Backchannel.Protocol;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests.Certificates;

/// <summary>The relay's sender-certificate authority: its files, its endpoints, its certificates.</summary>
public sealed class SenderCertificateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-relay-certs-" + Guid.NewGuid().ToString("N"));

    private RelayOptions Options(string? trustRootFile = null) => new()
    {
        Urls = ["http://127.0.0.1:0"],
        DataDirectory = _directory,
        MinimumLogLevel = LogLevel.None,
        HandleProcessSignals = false,
        TrustRootPublicKeyFile = trustRootFile,
    };

    [Fact]
    public async Task The_first_start_creates_the_trust_root_and_server_certificate_and_later_starts_reuse_them()
    {
        byte[] trustRoot;
        await using (RelayServer first = RelayServer.Build(Options()))
        {
            using var http = new HttpClient { BaseAddress = new Uri((await first.StartAsync())[0]) };
            JsonObject answer = (await http.GetFromJsonAsync<JsonObject>("/v1/certificate/trust-root"))!;
            trustRoot = Convert.FromBase64String((string)answer["trustRoot"]!);
            Assert.Equal(33, trustRoot.Length);
            Assert.Equal(0x05, trustRoot[0]);
            Assert.Equal(trustRoot, first.TrustRoot);
        }

        string keyFile = Path.Combine(_directory, "trust-root.key");
        Assert.Equal(32, new FileInfo(keyFile).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "server.key")));
        }
        using (ECPrivateKey root = ECPrivateKey.Deserialize(File.ReadAllBytes(keyFile)))
        {
            Assert.Equal(trustRoot, root.PublicKey().Serialize());
            ServerCertificate server = ServerCertificate.Deserialize(File.ReadAllBytes(Path.Combine(_directory, "server.cert")));
            Assert.Equal(1u, server.KeyId);
            Assert.True(server.Validate(root.PublicKey()));
        }

        byte[] serverCertificate = File.ReadAllBytes(Path.Combine(_directory, "server.cert"));

        // The operator moves the trust root offline: the relay still starts and serves the same trust root.
        File.Move(keyFile, keyFile + ".offline");
        await using (RelayServer second = RelayServer.Build(Options()))
        {
            await second.StartAsync();
            Assert.Equal(trustRoot, second.TrustRoot);
        }

        Assert.Equal(serverCertificate, File.ReadAllBytes(Path.Combine(_directory, "server.cert")));

        // Or supplies the public key from elsewhere (base64 text here).
        File.Delete(Path.Combine(_directory, "trust-root.pub"));
        string supplied = Path.Combine(_directory, "..", Path.GetFileName(_directory) + ".trust-root.txt");
        await File.WriteAllTextAsync(supplied, Convert.ToBase64String(trustRoot) + "\n");
        try
        {
            await using RelayServer third = RelayServer.Build(Options(supplied));
            await third.StartAsync();
            Assert.Equal(trustRoot, third.TrustRoot);
        }
        finally
        {
            File.Delete(supplied);
        }
    }

    [Fact]
    public async Task A_trust_root_that_did_not_sign_the_server_certificate_stops_the_start()
    {
        await using (RelayServer first = RelayServer.Build(Options()))
        {
            await first.StartAsync();
        }

        string wrong = Path.Combine(_directory, "other-root.pub");
        using (ECPrivateKey other = ECPrivateKey.Generate())
        {
            await File.WriteAllBytesAsync(wrong, other.PublicKey().Serialize());
        }

        await using RelayServer second = RelayServer.Build(Options(wrong));
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync());
        Assert.Contains("trust root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sender_certificate_names_the_calling_device_and_chains_to_the_trust_root()
    {
        await using RelayServer server = RelayServer.Build(Options());
        using var http = new HttpClient { BaseAddress = new Uri((await server.StartAsync())[0]) };
        RelayClient phone = await new RelayClient(http).RegisterAsync();
        RelayClient laptop = await phone.LinkNewDeviceAsync();
        var trustRoot = ECPublicKey.Deserialize(server.TrustRoot);

        using HttpResponseMessage anonymous = await http.GetAsync("/v1/certificate");
        await ProblemAssert.IsProblemAsync(anonymous, HttpStatusCode.Unauthorized);

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonObject answer = await laptop.GetJsonAsync("/v1/certificate");
        var certificate = SenderCertificate.Deserialize(Convert.FromBase64String((string)answer["certificate"]!));
        Assert.Equal(phone.Account, certificate.SenderUuid);
        Assert.Null(certificate.SenderE164);
        Assert.Equal(2, certificate.DeviceId);
        Assert.Equal(phone.IdentityKey, certificate.IdentityKey.Serialize());
        Assert.InRange((long)certificate.Expires - now, TimeSpan.FromHours(24).TotalMilliseconds - 60_000, TimeSpan.FromHours(24).TotalMilliseconds + 60_000);
        Assert.True(certificate.Validate(trustRoot, now));
        Assert.False(certificate.Validate(trustRoot, (long)certificate.Expires + 1));
        Assert.Equal(1u, certificate.Signer.KeyId);
    }

    [Fact]
    public async Task An_account_whose_identity_key_is_not_a_curve25519_key_gets_409()
    {
        await using RelayServer server = RelayServer.Build(Options());
        using var http = new HttpClient { BaseAddress = new Uri((await server.StartAsync())[0]) };
        string credential = TestKeys.Credential();
        JsonObject body = RelayClient.RegistrationBody(credential);
        body["identityKey"] = Convert.ToBase64String(new byte[40]);
        using HttpResponseMessage register = await http.PostAsync("/v1/accounts", RelayClient.Json(body));
        string account = (string)(await register.Content.ReadFromJsonAsync<JsonObject>())!["account"]!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/certificate");
        request.Headers.Authorization = RelayClient.Basic($"{account}.1", credential);
        using HttpResponseMessage response = await http.SendAsync(request);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
