using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backchannel.Interop.Tests.Harness;

/// <summary>
/// One party (name + device) living in one peer process, with typed wrappers for the contract's ops.
/// <c>TryXxx</c> returns the raw answer (for expected errors); <c>Xxx</c> requires success.
/// </summary>
public sealed class Party
{
    private Party(PeerProcess peer, string name, int device)
    {
        Peer = peer;
        Name = name;
        Device = device;
    }

    public PeerProcess Peer { get; }

    /// <summary>A fresh lowercase UUID, so tests sharing a peer process never meet.</summary>
    public string Name { get; }

    public int Device { get; }

    /// <summary>The identity key <c>create</c> (or the last <c>reset_identity</c>) returned.</summary>
    public byte[] IdentityKey { get; private set; } = [];

    public int RegistrationId { get; private set; }

    public static async Task<Party> CreateAsync(PeerProcess peer, int device = 1)
    {
        var party = new Party(peer, Guid.NewGuid().ToString("D"), device);
        var created = (await peer.SendAsync("create", party.Self())).EnsureOk();
        party.IdentityKey = created.Bytes("identityKey");
        party.RegistrationId = created.Int("registrationId");
        return party;
    }

    /// <summary>Another device of the same name, in the same peer process.</summary>
    public async Task<Party> AddDeviceAsync(int device)
    {
        var party = new Party(Peer, Name, device);
        var created = (await Peer.SendAsync("create", party.Self())).EnsureOk();
        party.IdentityKey = created.Bytes("identityKey");
        party.RegistrationId = created.Int("registrationId");
        return party;
    }

    /// <summary>
    /// Another device of the same name sharing this party's identity key pair, as an account's devices do (the
    /// optional <c>identityFromDevice</c> field of <c>create</c>, tests/interop/README.md): sealed sender v2 seals once
    /// per account identity.
    /// </summary>
    public async Task<Party> AddLinkedDeviceAsync(int device)
    {
        var party = new Party(Peer, Name, device);
        var fields = party.Self();
        fields["identityFromDevice"] = Device;
        var created = (await Peer.SendAsync("create", fields)).EnsureOk();
        party.IdentityKey = created.Bytes("identityKey");
        party.RegistrationId = created.Int("registrationId");
        return party;
    }

    /// <summary>A party of the same name and device in another peer process, with its own identity there.</summary>
    public async Task<Party> NamesakeInAsync(PeerProcess peer)
    {
        var party = new Party(peer, Name, Device);
        var created = (await peer.SendAsync("create", party.Self())).EnsureOk();
        party.IdentityKey = created.Bytes("identityKey");
        party.RegistrationId = created.Int("registrationId");
        return party;
    }

    public JsonObject Self() => new() { ["name"] = Name, ["device"] = Device };

    public JsonObject With(Party other)
    {
        var fields = Self();
        fields["peer"] = other.Name;
        fields["peerDevice"] = other.Device;
        return fields;
    }

    public async Task<JsonElement> BundleAsync(bool oneTimePreKey = true, bool lastResortKyber = false)
    {
        var fields = Self();
        fields["oneTimePreKey"] = oneTimePreKey;
        fields["lastResortKyber"] = lastResortKyber;
        return (await Peer.SendAsync("bundle", fields)).Field("bundle");
    }

    public Task<PeerResponse> TryProcessBundleAsync(Party owner, JsonElement bundle)
    {
        var fields = With(owner);
        fields["bundle"] = JsonNode.Parse(bundle.GetRawText());
        return Peer.SendAsync("process_bundle", fields);
    }

    public async Task ProcessBundleAsync(Party owner, JsonElement bundle) =>
        (await TryProcessBundleAsync(owner, bundle)).EnsureOk();

    /// <summary>Fetches <paramref name="owner"/>'s bundle and processes it: a session towards the owner.</summary>
    public async Task StartSessionWithAsync(Party owner, bool oneTimePreKey = true, bool lastResortKyber = false) =>
        await ProcessBundleAsync(owner, await owner.BundleAsync(oneTimePreKey, lastResortKyber));

    public Task<PeerResponse> TryEncryptAsync(Party to, byte[] plaintext)
    {
        var fields = With(to);
        fields["plaintext"] = Convert.ToBase64String(plaintext);
        return Peer.SendAsync("encrypt", fields);
    }

    public async Task<Ciphertext> EncryptAsync(Party to, byte[] plaintext)
    {
        var answer = (await TryEncryptAsync(to, plaintext)).EnsureOk();
        return new Ciphertext(answer.Int("type"), answer.Bytes("ciphertext"));
    }

    /// <summary>Encrypts every plaintext in order, with up to the contract's 128 requests in flight.</summary>
    public async Task<Ciphertext[]> EncryptManyAsync(Party to, IReadOnlyList<byte[]> plaintexts)
    {
        var answers = new Task<PeerResponse>[plaintexts.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = TryEncryptAsync(to, plaintexts[i]);
        }

        var results = new Ciphertext[answers.Length];
        for (var i = 0; i < answers.Length; i++)
        {
            var answer = (await answers[i]).EnsureOk();
            results[i] = new Ciphertext(answer.Int("type"), answer.Bytes("ciphertext"));
        }

        return results;
    }

    public Task<PeerResponse> TryDecryptAsync(Party from, Ciphertext message)
    {
        var fields = With(from);
        fields["type"] = message.Type;
        fields["ciphertext"] = Convert.ToBase64String(message.Bytes);
        return Peer.SendAsync("decrypt", fields);
    }

    public async Task<byte[]> DecryptAsync(Party from, Ciphertext message) =>
        (await TryDecryptAsync(from, message)).Bytes("plaintext");

    public async Task<bool> HasSessionAsync(Party other) =>
        (await Peer.SendAsync("has_session", With(other))).Bool("session");

    public async Task DeleteSessionAsync(Party other) =>
        (await Peer.SendAsync("delete_session", With(other))).EnsureOk();

    public async Task ResetIdentityAsync()
    {
        var reset = (await Peer.SendAsync("reset_identity", Self())).EnsureOk();
        IdentityKey = reset.Bytes("identityKey");
        RegistrationId = reset.Int("registrationId");
    }

    public async Task TrustAsync(Party other, byte[] identityKey)
    {
        var fields = Self();
        fields["peer"] = other.Name;
        fields["identityKey"] = Convert.ToBase64String(identityKey);
        (await Peer.SendAsync("trust", fields)).EnsureOk();
    }

    public Task<PeerResponse> TryFingerprintAsync(Party other, int? iterations = null, int? version = null)
    {
        var fields = With(other);
        if (iterations is { } i)
        {
            fields["iterations"] = i;
        }

        if (version is { } v)
        {
            fields["version"] = v;
        }

        return Peer.SendAsync("fingerprint", fields);
    }

    public async Task<byte[]> GroupDistributionAsync(Guid distributionId)
    {
        var fields = Self();
        fields["distributionId"] = distributionId.ToString("D");
        return (await Peer.SendAsync("group_distribution", fields)).Bytes("message");
    }

    public Task<PeerResponse> TryGroupProcessAsync(Party sender, byte[] distributionMessage)
    {
        var fields = FromSender(sender);
        fields["message"] = Convert.ToBase64String(distributionMessage);
        return Peer.SendAsync("group_process", fields);
    }

    public async Task GroupProcessAsync(Party sender, byte[] distributionMessage) =>
        (await TryGroupProcessAsync(sender, distributionMessage)).EnsureOk();

    public Task<PeerResponse> TryGroupEncryptAsync(Guid distributionId, byte[] plaintext)
    {
        var fields = Self();
        fields["distributionId"] = distributionId.ToString("D");
        fields["plaintext"] = Convert.ToBase64String(plaintext);
        return Peer.SendAsync("group_encrypt", fields);
    }

    /// <summary>Encrypts every plaintext in order with our sender key, with up to the contract's 128 requests in flight.</summary>
    public async Task<byte[][]> GroupEncryptManyAsync(Guid distributionId, IReadOnlyList<byte[]> plaintexts)
    {
        var answers = new Task<PeerResponse>[plaintexts.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = TryGroupEncryptAsync(distributionId, plaintexts[i]);
        }

        var results = new byte[answers.Length][];
        for (var i = 0; i < answers.Length; i++)
        {
            results[i] = (await answers[i]).Bytes("ciphertext");
        }

        return results;
    }

    public Task<PeerResponse> TryGroupDecryptAsync(Party sender, byte[] ciphertext)
    {
        var fields = FromSender(sender);
        fields["ciphertext"] = Convert.ToBase64String(ciphertext);
        return Peer.SendAsync("group_decrypt", fields);
    }

    /// <summary>
    /// A sender certificate naming this party, its server certificate signed by <paramref name="trustRootPrivateKey"/>;
    /// it certifies <paramref name="identityKey"/> when given (an extension of the contract), else our own.
    /// </summary>
    public async Task<byte[]> SenderCertificateAsync(byte[] trustRootPrivateKey, byte[] serverPrivateKey, uint serverKeyId, long expires, byte[]? identityKey = null)
    {
        var fields = Self();
        if (identityKey is not null)
        {
            fields["identityKey"] = Convert.ToBase64String(identityKey);
        }

        fields["trustRootPrivateKey"] = Convert.ToBase64String(trustRootPrivateKey);
        fields["serverPrivateKey"] = Convert.ToBase64String(serverPrivateKey);
        fields["serverKeyId"] = serverKeyId;
        fields["expires"] = expires;
        return (await Peer.SendAsync("sender_certificate", fields)).Bytes("certificate");
    }

    public Task<PeerResponse> TrySealedEncryptAsync(Party to, byte[] senderCertificate, byte[] plaintext)
    {
        var fields = With(to);
        fields["senderCertificate"] = Convert.ToBase64String(senderCertificate);
        fields["plaintext"] = Convert.ToBase64String(plaintext);
        return Peer.SendAsync("sealed_encrypt", fields);
    }

    public async Task<byte[]> SealedEncryptAsync(Party to, byte[] senderCertificate, byte[] plaintext) =>
        (await TrySealedEncryptAsync(to, senderCertificate, plaintext)).Bytes("ciphertext");

    public Task<PeerResponse> TrySealedDecryptAsync(byte[] trustRoot, long timestamp, byte[] ciphertext)
    {
        var fields = Self();
        fields["trustRoot"] = Convert.ToBase64String(trustRoot);
        fields["timestamp"] = timestamp;
        fields["ciphertext"] = Convert.ToBase64String(ciphertext);
        return Peer.SendAsync("sealed_decrypt", fields);
    }

    /// <summary>Group-encrypts with our sender key for <paramref name="distributionId"/> and seals it once for every recipient (sealed sender v2 sent form).</summary>
    public Task<PeerResponse> TrySealedMultiEncryptAsync(IEnumerable<Party> recipients, byte[] senderCertificate, Guid distributionId, byte[] plaintext)
    {
        var fields = Self();
        var list = new JsonArray();
        foreach (var recipient in recipients)
        {
            list.Add(new JsonObject { ["peer"] = recipient.Name, ["peerDevice"] = recipient.Device });
        }

        fields["recipients"] = list;
        fields["senderCertificate"] = Convert.ToBase64String(senderCertificate);
        fields["distributionId"] = distributionId.ToString("D");
        fields["plaintext"] = Convert.ToBase64String(plaintext);
        return Peer.SendAsync("sealed_multi_encrypt", fields);
    }

    public async Task<byte[]> SealedMultiEncryptAsync(IEnumerable<Party> recipients, byte[] senderCertificate, Guid distributionId, byte[] plaintext) =>
        (await TrySealedMultiEncryptAsync(recipients, senderCertificate, distributionId, plaintext)).Bytes("ciphertext");

    /// <summary>The server-side split, run in <paramref name="splitter"/>: the received form of a sent message for <paramref name="recipient"/>.</summary>
    public static Task<PeerResponse> TrySealedMultiSplitAsync(PeerProcess splitter, byte[] sent, Party recipient) =>
        splitter.SendAsync("sealed_multi_split", new JsonObject
        {
            ["ciphertext"] = Convert.ToBase64String(sent),
            ["peer"] = recipient.Name,
            ["peerDevice"] = recipient.Device,
        });

    public static async Task<byte[]> SealedMultiSplitAsync(PeerProcess splitter, byte[] sent, Party recipient) =>
        (await TrySealedMultiSplitAsync(splitter, sent, recipient)).Bytes("ciphertext");

    private JsonObject FromSender(Party sender)
    {
        var fields = Self();
        fields["sender"] = sender.Name;
        fields["senderDevice"] = sender.Device;
        return fields;
    }

    public override string ToString() => $"{Name}.{Device} in {Peer.Label}";
}
