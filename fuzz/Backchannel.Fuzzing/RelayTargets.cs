using System.Text.Json;
using Backchannel.Relay;
using Backchannel.Relay.Accounts;
using Backchannel.Relay.Auth;
using Backchannel.Relay.Devices;
using Backchannel.Relay.Infrastructure;
using Backchannel.Relay.Keys;
using Backchannel.Relay.Messages;
using Backchannel.Relay.Provisioning;
using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;

namespace Backchannel.Fuzzing;

/// <summary>
/// The relay's request bodies: the bytes go through the relay's own JSON options into its DTO, then through the
/// relay's validation for that body. A refused body is a <see cref="JsonException"/> (JsonBody turns it into a
/// 400) or a validation message (also a 400); anything else would be a 500. Byte 0 selects the body:
/// register, keys upload, send, ack, WebSocket client frame, access key, device link, provisioning message (the
/// last two are only deserialized: their checks are inline in their handlers).
/// </summary>
internal static class RelayTargets
{
    private static readonly RelayLimits Limits = new();

    private static readonly DeviceAddress Sender = new(Guid.Parse("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"), 1);

    internal static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var json = input.AsSpan(1);
        switch (input[0] % 8)
        {
            case 0: Register(JsonSerializer.Deserialize<RegisterRequest>(json, RelayJson.Options)); break;
            case 1: UploadKeys(JsonSerializer.Deserialize<KeysUploadRequest>(json, RelayJson.Options)); break;
            case 2: Send(JsonSerializer.Deserialize<SendRequest>(json, RelayJson.Options)); break;
            case 3: Ack(JsonSerializer.Deserialize<AckRequest>(json, RelayJson.Options)); break;
            case 4: Frame(json); break;
            case 5: AccessKeys.IsWellFormed(JsonSerializer.Deserialize<AccessKeyRequest>(json, RelayJson.Options)?.AccessKey); break;
            case 6: JsonSerializer.Deserialize<LinkDeviceRequest>(json, RelayJson.Options); break;
            default: JsonSerializer.Deserialize<ProvisioningMessageDto>(json, RelayJson.Options); break;
        }
    }

    // The checks of AccountsApi.RegisterAsync, in its order, through the same helpers.
    private static void Register(RegisterRequest? body)
    {
        if (body is null || !Credentials.IsWellFormed(body.Credential) || body.RegistrationId is not int id || id is < 0 or > 0xFFFF
            || KeyValidation.CheckIdentityKey(body.IdentityKey, Limits) is not null
            || body.SignedPreKey is null || body.KyberLastResortPreKey is null
            || (body.AccessKey is not null && !AccessKeys.IsWellFormed(body.AccessKey)))
        {
            return;
        }
        var keys = new KeysUploadRequest
        {
            SignedPreKey = body.SignedPreKey,
            KyberLastResortPreKey = body.KyberLastResortPreKey,
            PreKeys = body.PreKeys,
            KyberPreKeys = body.KyberPreKeys,
        };
        if (KeyValidation.TryConvert(keys, Limits, out _) is null)
        {
            Credentials.Hash(body.Credential!);
        }
    }

    private static void UploadKeys(KeysUploadRequest? body)
    {
        if (body is not null)
        {
            KeyValidation.TryConvert(body, Limits, out _);
        }
    }

    // MessageSender.TryConvert: the whole validation of the three sends (HTTP, sealed, socket frame).
    private static void Send(SendRequest? body)
    {
        if (body is not null)
        {
            MessageSender.TryConvert(body, Sender, 0, Limits);
        }
    }

    // The checks of MessagesApi.AckManyAsync.
    private static void Ack(AckRequest? body)
    {
        if (body?.Ids is null || body.Ids.Count > Limits.MaxAcksPerRequest)
        {
            return;
        }
        foreach (var text in body.Ids)
        {
            if (!Ids.TryParse(text, out _))
            {
                return;
            }
        }
    }

    // The checks of WebSocketSession.HandleFrameAsync: a long or malformed frame's type and requestId are read
    // without deserializing it, also from a frame cut short (one over the limit); then an ack's id, a send's messages.
    private static void Frame(ReadOnlySpan<byte> json)
    {
        WebSocketSession.ReadLeadingStrings(json);
        WebSocketSession.ReadLeadingStrings(json[..(json.Length / 2)]);
        ClientFrame? frame = JsonSerializer.Deserialize<ClientFrame>(json, RelayJson.Options);
        if (frame?.Type == WebSocketFrame.AckType)
        {
            Ids.TryParse(frame.Id, out _);
        }
        else if (frame?.Type == WebSocketFrame.SendType)
        {
            Send(new SendRequest { Messages = frame.Messages });
        }
    }
}
