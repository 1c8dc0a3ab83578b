using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backchannel.Relay;
using Microsoft.Extensions.Logging;

namespace Backchannel.Client.Tests;

/// <summary>
/// The client against an in-process relay serving HTTPS with a self-signed certificate made here: refused without a
/// pin (chain validation fails), refused with a wrong pin, and fully usable with the right one or a pinned invite.
/// </summary>
public sealed class HttpsPinningTests
{
    private sealed class HttpsRelay : IAsyncDisposable
    {
        private readonly RelayServer _server;

        private HttpsRelay(string root, RelayServer server, Uri url)
        {
            Root = root;
            _server = server;
            Url = url;
        }

        public string Root { get; }

        public Uri Url { get; }

        public string Pin => _server.CertificatePin!;

        public List<BackchannelClient> Clients { get; } = [];

        public static async Task<HttpsRelay> StartAsync()
        {
            string root = Path.Combine(Path.GetTempPath(), "bc-https-tests-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(root);
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=backchannel-test-relay", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
            using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            string pfx = Path.Combine(root, "relay.pfx");
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "test-password"));
            RelayServer server = RelayServer.Build(new RelayOptions
            {
                Urls = ["https://127.0.0.1:0"],
                DataDirectory = Path.Combine(root, "relay"),
                HandleProcessSignals = false,
                MinimumLogLevel = LogLevel.None,
                ShutdownTimeout = TimeSpan.FromSeconds(2),
                CertificatePath = pfx,
                CertificatePassword = "test-password",
            });
            IReadOnlyList<string> urls = await server.StartAsync();
            return new HttpsRelay(root, server, new Uri(urls[0]));
        }

        public BackchannelClient Open(string name)
        {
            BackchannelClient client = BackchannelClient.Open(Path.Combine(Root, name));
            Clients.Add(client);
            return client;
        }

        /// <summary>East and west, both initialised with the relay's pin, after invite, accept and east's sync.</summary>
        public async Task<(BackchannelClient East, BackchannelClient West)> PinnedPairAsync()
        {
            BackchannelClient east = Open("east");
            BackchannelClient west = Open("west");
            await east.InitAsync("east", Url, Pin);
            await west.InitAsync("west", Url, Pin);
            await west.AcceptAsync(east.CreateInvite());
            await east.SyncAsync();
            return (east, west);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (BackchannelClient c in Clients)
            {
                c.Dispose();
            }
            await _server.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Without_a_pin_a_self_signed_relay_is_refused_with_a_typed_error_and_nothing_is_stored()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        Assert.Equal("https", relay.Url.Scheme);
        BackchannelClient client = relay.Open("east");

        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => client.InitAsync("east", relay.Url));

        Assert.Equal(ErrorKinds.RelayCertificateInvalid, e.Kind);
        Assert.Contains("pin", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(client.IsInitialised);
    }

    [Fact]
    public async Task With_a_wrong_pin_the_relay_is_refused_and_nothing_is_stored()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        BackchannelClient client = relay.Open("east");
        string wrong = Convert.ToBase64String(SHA256.HashData("another key"u8));

        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => client.InitAsync("east", relay.Url, wrong));

        Assert.Equal(ErrorKinds.RelayCertificateInvalid, e.Kind);
        Assert.Contains("does not match the pin", e.Message, StringComparison.Ordinal);
        Assert.False(client.IsInitialised);
    }

    [Fact]
    public async Task A_malformed_pin_is_a_bad_request()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        BackchannelClient client = relay.Open("east");

        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => client.InitAsync("east", relay.Url, "not-a-pin"));

        Assert.Equal(ErrorKinds.BadRequest, e.Kind);
        Assert.False(client.IsInitialised);
    }

    [Fact]
    public async Task With_the_right_pin_init_invite_accept_send_sync_and_watch_work_over_https()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await relay.PinnedPairAsync();
        await east.SendAsync("west", "over tls");
        IReadOnlyList<ChatMessage> atWest = await west.SyncAsync();
        Assert.Equal(["over tls"], atWest.Select(m => m.Text));
        Assert.Equal(0, east.OutboxCount());

        // The WebSocket (wss://) is pinned too.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task watching = west.WatchAsync(m =>
        {
            received.TrySetResult(m.Text);
            return Task.CompletedTask;
        }, ct: stop.Token);
        await Task.Delay(500);
        await east.SendAsync("west", "live over wss");
        Assert.Equal("live over wss", await received.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        await stop.CancelAsync();
        try
        {
            await watching;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task An_invite_carries_the_inviters_pin_and_lets_the_acceptor_connect()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        BackchannelClient east = relay.Open("east");
        await east.InitAsync("east", relay.Url, relay.Pin);
        string inviteText = east.CreateInvite();

        Invite invite = Invite.Parse(inviteText);
        Assert.Equal(relay.Pin, invite.Pin);

        // The acceptor knows nothing but the invite: its relay and pin.
        BackchannelClient west = relay.Open("west");
        await west.InitAsync("west", invite.Relay, invite.Pin);
        ContactInfo contact = await west.AcceptAsync(inviteText);
        Assert.Equal("east", contact.Alias);
        await east.SyncAsync();
        await west.SendAsync("east", "hello via pinned invite");
        Assert.Equal(["hello via pinned invite"], (await east.SyncAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task An_invite_pinning_another_key_than_the_acceptors_is_refused()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        BackchannelClient east = relay.Open("east");
        BackchannelClient west = relay.Open("west");
        await east.InitAsync("east", relay.Url, relay.Pin);
        await west.InitAsync("west", relay.Url, relay.Pin);
        Invite genuine = Invite.Parse(east.CreateInvite());
        string forged = (genuine with { Pin = Convert.ToBase64String(SHA256.HashData("impostor"u8)) }).Encode();

        BackchannelException e = await Assert.ThrowsAsync<BackchannelException>(() => west.AcceptAsync(forged));

        Assert.Equal(ErrorKinds.RelayCertificateInvalid, e.Kind);
        Assert.Empty(west.Contacts());
    }

    [Fact]
    public async Task A_device_linked_with_the_pin_keeps_it_and_works_over_https_and_one_without_is_refused()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        (BackchannelClient east, BackchannelClient west) = await relay.PinnedPairAsync();

        BackchannelClient unpinned = relay.Open("east-unpinned");
        BackchannelException refused = await Assert.ThrowsAsync<BackchannelException>(() => unpinned.StartLinkAsync(relay.Url));
        Assert.Equal(ErrorKinds.RelayCertificateInvalid, refused.Kind);
        Assert.False(unpinned.IsInitialised);

        BackchannelClient second = relay.Open("east-2");
        using BackchannelClient.PendingLink link = await second.StartLinkAsync(relay.Url, relay.Pin);
        Task<AccountInfo> completing = second.CompleteLinkAsync(link, "laptop", TimeSpan.FromSeconds(30));
        await east.ApproveAsync(link.Code);
        Assert.Equal(east.Account.Account, (await completing).Account);

        await west.SendAsync("east", "to every device, over tls");
        Assert.Equal(["to every device, over tls"], (await second.SyncAsync()).Select(m => m.Text));
        Assert.Equal(["to every device, over tls"], (await east.SyncAsync()).Select(m => m.Text));
        // The linked device's own invites carry the pin, so whoever accepts them reaches the relay too.
        Assert.Equal(relay.Pin, Invite.Parse(second.CreateInvite()).Pin);
    }

    [Fact]
    public async Task Old_invites_without_a_pin_still_parse_and_a_malformed_pin_is_refused()
    {
        await using HttpsRelay relay = await HttpsRelay.StartAsync();
        BackchannelClient east = relay.Open("east");
        await east.InitAsync("east", relay.Url, relay.Pin);
        string current = east.CreateInvite();

        static string Rewrite(string invite, Action<System.Text.Json.Nodes.JsonObject> change)
        {
            byte[] json = System.Buffers.Text.Base64Url.DecodeFromChars(invite.AsSpan(Invite.Prefix.Length));
            var node = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(json)!;
            change(node);
            return Invite.Prefix + System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()));
        }

        Invite old = Invite.Parse(Rewrite(current, o => o.Remove("p")));
        Assert.Null(old.Pin);
        Assert.Equal(east.Account.Account, old.Account);

        foreach (string bad in new[] { "short", "not base64!", Convert.ToBase64String(new byte[31]) })
        {
            BackchannelException e = Assert.Throws<BackchannelException>(() => Invite.Parse(Rewrite(current, o => o["p"] = bad)));
            Assert.Equal(ErrorKinds.MalformedInvite, e.Kind);
        }
    }
}
