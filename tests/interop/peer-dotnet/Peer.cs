using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Backchannel.Protocol;

namespace Backchannel.Interop.PeerDotnet;

/// <summary>Executes the ops of DESIGN.md §4.1 against our protocol library.</summary>
internal sealed partial class Peer
{
    private readonly Dictionary<(string, int), Party> _parties = [];
    private readonly TimeProvider _time = TimeProvider.System;

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex UuidPattern();

    internal JsonObject Handle(string line)
    {
        JsonNode? id = null;
        try
        {
            JsonObject request;
            try
            {
                request = JsonNode.Parse(line) as JsonObject ?? throw new BadRequestException("request is not a JSON object");
            }
            catch (JsonException)
            {
                throw new BadRequestException("request is not valid JSON");
            }
            id = request["id"]?.DeepClone();
            var op = String(request, "op");
            var result = Execute(op, request);
            result["id"] = id;
            result["ok"] = true;
            return Reorder(result);
        }
        catch (Exception e)
        {
            var kind = e switch
            {
                BadRequestException => "BadRequest",
                ProtocolException pe => pe.GetType().Name.Replace("Exception", "", StringComparison.Ordinal),
                _ => "Other",
            };
            return new JsonObject { ["id"] = id, ["ok"] = false, ["error"] = kind, ["message"] = e.Message };
        }
    }

    private static JsonObject Reorder(JsonObject result)
    {
        var ordered = new JsonObject { ["id"] = result["id"]?.DeepClone(), ["ok"] = true };
        foreach (var (key, value) in result)
        {
            if (key is not "id" and not "ok")
            {
                ordered[key] = value?.DeepClone();
            }
        }
        return ordered;
    }

    private JsonObject Execute(string op, JsonObject r)
    {
        switch (op)
        {
            case "create":
            {
                var (name, device) = Party(r);
                if (_parties.ContainsKey((name, device)))
                {
                    throw new BadRequestException("party exists");
                }
                // Optional extension (tests/interop/README.md): take the identity key pair of another device of this name.
                IdentityKeyPair? shared = null;
                if (r["identityFromDevice"] is not null)
                {
                    var from = Device(r, "identityFromDevice");
                    shared = _parties.TryGetValue((name, from), out var sibling)
                        ? sibling.Identity : throw new BadRequestException("unknown party for identityFromDevice");
                }
                var party = new Party(name, device, shared);
                _parties[(name, device)] = party;
                return new JsonObject
                {
                    ["identityKey"] = Convert.ToBase64String(party.Identity.PublicKey.Serialize()),
                    ["registrationId"] = party.RegistrationId,
                };
            }
            case "bundle":
            {
                var party = Existing(r);
                var bundle = party.MakeBundle(Bool(r, "oneTimePreKey", true), Bool(r, "lastResortKyber", false));
                var json = new JsonObject
                {
                    ["registrationId"] = bundle.RegistrationId,
                    ["deviceId"] = bundle.DeviceId,
                    ["signedPreKeyId"] = bundle.SignedPreKeyId,
                    ["signedPreKey"] = Convert.ToBase64String(bundle.SignedPreKeyPublic),
                    ["signedPreKeySignature"] = Convert.ToBase64String(bundle.SignedPreKeySignature),
                    ["kyberPreKeyId"] = bundle.KyberPreKeyId,
                    ["kyberPreKey"] = Convert.ToBase64String(bundle.KyberPreKeyPublic),
                    ["kyberPreKeySignature"] = Convert.ToBase64String(bundle.KyberPreKeySignature),
                    ["identityKey"] = Convert.ToBase64String(bundle.IdentityKey),
                };
                if (bundle.PreKeyId is { } preKeyId)
                {
                    json["preKeyId"] = preKeyId;
                    json["preKey"] = Convert.ToBase64String(bundle.PreKeyPublic!);
                }
                return new JsonObject { ["bundle"] = json };
            }
            case "process_bundle":
            {
                var party = Existing(r);
                var bundle = ParseBundle(r["bundle"] as JsonObject ?? throw new BadRequestException("missing bundle"));
                SessionBuilder.ProcessPreKeyBundle(party.Store, PeerAddress(r), bundle, _time);
                return [];
            }
            case "encrypt":
            {
                var party = Existing(r);
                var message = new SessionCipher(party.Store, PeerAddress(r), _time).Encrypt(Bytes(r, "plaintext"));
                return new JsonObject { ["type"] = message.Type, ["ciphertext"] = Convert.ToBase64String(message.Serialize()) };
            }
            case "decrypt":
            {
                var party = Existing(r);
                var type = Int(r, "type");
                var plaintext = new SessionCipher(party.Store, PeerAddress(r), _time).Decrypt(type, Bytes(r, "ciphertext"));
                return new JsonObject { ["plaintext"] = Convert.ToBase64String(plaintext) };
            }
            case "has_session":
            {
                var party = Existing(r);
                return new JsonObject { ["session"] = new SessionCipher(party.Store, PeerAddress(r), _time).HasSession() };
            }
            case "delete_session":
            {
                var party = Existing(r);
                party.Store.DeleteSession(PeerAddress(r));
                return [];
            }
            case "reset_identity":
            {
                var party = Existing(r);
                party.Reset();
                return new JsonObject
                {
                    ["identityKey"] = Convert.ToBase64String(party.Identity.PublicKey.Serialize()),
                    ["registrationId"] = party.RegistrationId,
                };
            }
            case "trust":
            {
                var party = Existing(r);
                var peer = Name(r, "peer");
                IdentityKey key;
                try
                {
                    key = IdentityKey.Deserialize(Bytes(r, "identityKey"));
                }
                catch (InvalidKeyException e)
                {
                    throw new InvalidKeyException(e.Message);
                }
                for (var device = 1; device <= 127; device++)
                {
                    party.Store.SaveIdentity(new ProtocolAddress(peer, device), key);
                }
                return [];
            }
            case "fingerprint":
            {
                var party = Existing(r);
                var address = PeerAddress(r);
                var theirs = party.Store.GetIdentity(address) ?? throw new NoSessionException("no known identity for the peer");
                var fingerprint = Fingerprint.Create(Int(r, "iterations", 5200), Int(r, "version", 2),
                    System.Text.Encoding.UTF8.GetBytes(party.Name), party.Identity.PublicKey,
                    System.Text.Encoding.UTF8.GetBytes(address.Name), theirs);
                return new JsonObject
                {
                    ["displayable"] = fingerprint.Displayable,
                    ["scannable"] = Convert.ToBase64String(fingerprint.Scannable),
                };
            }
            case "group_distribution":
            {
                var party = Existing(r);
                var message = GroupCipher.CreateDistributionMessage(party.SenderKeys, party.Address, Uuid(r, "distributionId"));
                return new JsonObject { ["message"] = Convert.ToBase64String(message) };
            }
            case "group_process":
            {
                var party = Existing(r);
                GroupCipher.ProcessDistributionMessage(party.SenderKeys, SenderAddress(r), Bytes(r, "message"));
                return [];
            }
            case "group_encrypt":
            {
                var party = Existing(r);
                var ciphertext = GroupCipher.Encrypt(party.SenderKeys, party.Address, Uuid(r, "distributionId"), Bytes(r, "plaintext"));
                return new JsonObject { ["ciphertext"] = Convert.ToBase64String(ciphertext) };
            }
            case "group_decrypt":
            {
                var party = Existing(r);
                var plaintext = GroupCipher.Decrypt(party.SenderKeys, SenderAddress(r), Bytes(r, "ciphertext"));
                return new JsonObject { ["plaintext"] = Convert.ToBase64String(plaintext) };
            }
            case "sender_certificate":
            {
                var party = Existing(r);
                using var trustRoot = ECPrivateKey.Deserialize(Bytes(r, "trustRootPrivateKey"));
                using var serverKey = ECPrivateKey.Deserialize(Bytes(r, "serverPrivateKey"));
                var server = ServerCertificate.Create(UInt(r, "serverKeyId"), serverKey.PublicKey(), trustRoot);
                // Optional extension: certify another identity key under this party's name and device.
                var identity = r["identityKey"] is null ? party.Identity.PublicKey : IdentityKey.Deserialize(Bytes(r, "identityKey"));
                var certificate = SenderCertificate.Create(party.Name, null, party.Device, identity,
                    ULong(r, "expires"), server, serverKey);
                return new JsonObject { ["certificate"] = Convert.ToBase64String(certificate.Serialize()) };
            }
            case "sealed_encrypt":
            {
                var party = Existing(r);
                var certificate = SenderCertificate.Deserialize(Bytes(r, "senderCertificate"));
                var sealedMessage = SealedSessionCipher.Encrypt(party.Store, PeerAddress(r), certificate, Bytes(r, "plaintext"), _time);
                return new JsonObject { ["ciphertext"] = Convert.ToBase64String(sealedMessage) };
            }
            case "sealed_decrypt":
            {
                var party = Existing(r);
                var trustRoot = ECPublicKey.Deserialize(Bytes(r, "trustRoot"));
                var result = SealedSessionCipher.Decrypt(party.Store, party.SenderKeys, trustRoot, Long(r, "timestamp"), Bytes(r, "ciphertext"), _time);
                return new JsonObject
                {
                    ["sender"] = result.SenderUuid,
                    ["senderDevice"] = result.SenderDevice,
                    ["plaintext"] = Convert.ToBase64String(result.Plaintext),
                };
            }
            case "sealed_multi_encrypt":
            {
                var party = Existing(r);
                var recipients = (r["recipients"] as JsonArray ?? throw new BadRequestException("missing or invalid recipients"))
                    .Select(n => n as JsonObject ?? throw new BadRequestException("a recipient is not an object"))
                    .Select(PeerAddress)
                    .ToList();
                if (recipients.Count == 0)
                {
                    throw new BadRequestException("recipients is empty");
                }
                var certificate = SenderCertificate.Deserialize(Bytes(r, "senderCertificate"));
                var distributionId = Uuid(r, "distributionId");
                var plaintext = Bytes(r, "plaintext");
                // As the libsignal peer's transaction: when sealing fails, the sender key has not advanced.
                var before = party.SenderKeys.LoadSenderKey(party.Address, distributionId);
                var senderKeyMessage = GroupCipher.Encrypt(party.SenderKeys, party.Address, distributionId, plaintext);
                try
                {
                    var sent = SealedSessionCipher.MultiRecipientEncrypt(party.Store, recipients, certificate,
                        CiphertextMessage.SenderKeyType, senderKeyMessage, null);
                    return new JsonObject { ["ciphertext"] = Convert.ToBase64String(sent) };
                }
                catch when (before is not null)
                {
                    party.SenderKeys.StoreSenderKey(party.Address, distributionId, before);
                    throw;
                }
            }
            case "sealed_multi_split":
            {
                // Server side: no party involved.
                var message = SealedSenderMultiRecipientMessage.Parse(Bytes(r, "ciphertext"));
                var peer = PeerAddress(r);
                var recipient = message.Recipients.FirstOrDefault(x => x.ServiceId == peer.Name && x.Devices.Any(d => d.DeviceId == peer.DeviceId))
                    ?? throw new BadRequestException($"{peer} is not a recipient of the message");
                return new JsonObject { ["ciphertext"] = Convert.ToBase64String(message.ReceivedMessageFor(recipient.ServiceId)) };
            }
            default:
                throw new BadRequestException($"unknown op '{op}'");
        }
    }

    private static PreKeyBundle ParseBundle(JsonObject b)
    {
        uint? preKeyId = b["preKeyId"] is null ? null : UInt(b, "preKeyId");
        var preKey = b["preKey"] is null ? null : Bytes(b, "preKey");
        return new PreKeyBundle(UInt(b, "registrationId"), Int(b, "deviceId", 1), preKeyId, preKey, UInt(b, "signedPreKeyId"),
            Bytes(b, "signedPreKey"), Bytes(b, "signedPreKeySignature"), Bytes(b, "identityKey"), UInt(b, "kyberPreKeyId"),
            Bytes(b, "kyberPreKey"), Bytes(b, "kyberPreKeySignature"));
    }

    private Party Existing(JsonObject r)
    {
        var key = Party(r);
        return _parties.TryGetValue(key, out var party) ? party : throw new BadRequestException("unknown party");
    }

    private static (string, int) Party(JsonObject r) => (Name(r, "name"), Device(r, "device"));

    private static ProtocolAddress PeerAddress(JsonObject r) => new(Name(r, "peer"), Device(r, "peerDevice"));

    private static ProtocolAddress SenderAddress(JsonObject r) => new(Name(r, "sender"), Device(r, "senderDevice"));

    private static Guid Uuid(JsonObject r, string field) =>
        Guid.TryParse(String(r, field), out var guid) ? guid : throw new BadRequestException($"{field} is not a UUID");

    private static long Long(JsonObject r, string field) =>
        r[field] is JsonValue v && v.TryGetValue<long>(out var l) ? l : throw new BadRequestException($"missing or invalid {field}");

    private static ulong ULong(JsonObject r, string field) =>
        r[field] is JsonValue v && v.TryGetValue<long>(out var l) && l >= 0 ? (ulong)l : throw new BadRequestException($"missing or invalid {field}");

    private static string Name(JsonObject r, string field)
    {
        var name = String(r, field);
        return UuidPattern().IsMatch(name) ? name : throw new BadRequestException($"{field} is not a lowercase UUID");
    }

    private static int Device(JsonObject r, string field)
    {
        var device = Int(r, field, 1);
        return device is >= 1 and <= 127 ? device : throw new BadRequestException($"{field} outside 1..127");
    }

    private static string String(JsonObject r, string field) =>
        r[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new BadRequestException($"missing or invalid {field}");

    private static bool Bool(JsonObject r, string field, bool fallback) =>
        r[field] is null ? fallback
        : r[field] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw new BadRequestException($"invalid {field}");

    private static int Int(JsonObject r, string field, int? fallback = null)
    {
        if (r[field] is null)
        {
            return fallback ?? throw new BadRequestException($"missing {field}");
        }
        return r[field] is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw new BadRequestException($"invalid {field}");
    }

    private static uint UInt(JsonObject r, string field) =>
        r[field] is JsonValue v && v.TryGetValue<long>(out var l) && l is >= 0 and <= uint.MaxValue
            ? (uint)l : throw new BadRequestException($"missing or invalid {field}");

    private static byte[] Bytes(JsonObject r, string field)
    {
        var text = String(r, field);
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new BadRequestException($"{field} is not base64");
        }
    }
}
