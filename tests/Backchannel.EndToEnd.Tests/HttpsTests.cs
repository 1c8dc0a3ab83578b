using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Backchannel.EndToEnd.Tests;

/// <summary>`backchannel relay --cert` through the executables: a self-signed relay, refused without its pin, usable with it.</summary>
public sealed class HttpsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bc-e2e-https-" + Guid.NewGuid().ToString("N")[..10]);
    private RelayProcess? _relay;

    public HttpsTests()
    {
        Directory.CreateDirectory(_root);
    }

    [Fact]
    public async Task A_relay_serving_https_with_its_own_certificate_is_refused_without_the_pin_and_works_with_it()
    {
        string pfx = Path.Combine(_root, "relay.pfx");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=backchannel-e2e-relay", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "e2e-password"));
        }
        _relay = await RelayProcess.StartAsync(Path.Combine(_root, "relay-data"), new RelayProcessOptions
        {
            Urls = "https://127.0.0.1:0",
            ExtraArguments = ["--cert", pfx, "--cert-password", "e2e-password"],
        });
        Assert.StartsWith("https://", _relay.Url, StringComparison.Ordinal);
        string pin = _relay.Pin ?? throw new InvalidOperationException("the relay printed no pin");
        Assert.Equal(32, Convert.FromBase64String(pin).Length);

        var east = new Party("east", Path.Combine(_root, "east"));
        var west = new Party("west", Path.Combine(_root, "west"));
        Cli.Result refused = await west.RunAsync("init", "--name", "west", "--relay", _relay.Url);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal("RelayCertificateInvalid", refused.Single.Text("error"));
        Assert.Equal("NotInitialised", (await west.RunAsync("invite")).Single.Text("error")); // nothing was stored

        (await east.RunAsync("init", "--name", "east", "--relay", _relay.Url, "--pin", pin)).Ok();
        // The invite carries the pin: west needs it only at init, as every device of a pinned relay does.
        (await west.RunAsync("init", "--name", "west", "--relay", _relay.Url, "--pin", pin)).Ok();
        (await west.RunAsync("accept", await east.InviteAsync())).Ok();
        await east.SyncAsync();
        Assert.Equal("sent", await east.SendAsync("west", "over tls, through the executables", "relations"));
        JsonObject got = Assert.Single(await west.SyncAsync());
        Assert.Equal("over tls, through the executables", got.Text("text"));
    }

    public void Dispose()
    {
        _relay?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
