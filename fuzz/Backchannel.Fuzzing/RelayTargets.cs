using System.Reflection;
using System.Runtime.ExceptionServices;
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

    // MessagesApi.TryConvert is private; it is the send endpoints' whole validation, so the target binds to it,
    // matching its parameters by type (the sender is optional since sealed sending).
    private static readonly MethodInfo ConvertSend = typeof(MessagesApi)
        .GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
        .Single(m => m.Name == "TryConvert" && m.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(SendRequest));

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
            case 4: Frame(JsonSerializer.Deserialize<ClientFrame>(json, RelayJson.Options)); break;
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

    private static void Send(SendRequest? body)
    {
        if (body is null)
        {
            return;
        }
        var arguments = ConvertSend.GetParameters().Select(p => p.ParameterType switch
        {
            var t when t == typeof(SendRequest) => body,
            var t when t == typeof(long) => 0L,
            var t when t == typeof(RelayLimits) => Limits,
            _ => (object)Sender,
        }).ToArray();
        try
        {
            ConvertSend.Invoke(null, arguments);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
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

    // The checks of WebSocketSession.HandleFrameAsync.
    private static void Frame(ClientFrame? frame)
    {
        if (frame?.Type == WebSocketFrame.AckType)
        {
            Ids.TryParse(frame.Id, out _);
        }
    }
}
