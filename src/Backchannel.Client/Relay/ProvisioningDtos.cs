namespace Backchannel.Client.Relay;

/// <summary>Wire bodies of the provisioning and device endpoints of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record ProvisioningIdResponse(string Id);

internal sealed record ProvisioningMessage(byte[] Message);

internal sealed record LinkTokenResponse(string Token, long ExpiresAt)
{
    /// <summary>Never prints the token.</summary>
    public override string ToString() => nameof(LinkTokenResponse);
}

internal sealed record LinkDeviceRequest(
    string Account,
    string LinkToken,
    string Credential,
    uint RegistrationId,
    string? Name,
    PreKeyDto SignedPreKey,
    PreKeyDto KyberLastResortPreKey,
    IReadOnlyList<PreKeyDto> PreKeys,
    IReadOnlyList<PreKeyDto> KyberPreKeys)
{
    /// <summary>Never prints the credential or the token.</summary>
    public override string ToString() => nameof(LinkDeviceRequest);
}

internal sealed record DeviceDto(int DeviceId, string? Name, long CreatedAt, long? LastSeenAt);

internal sealed record DeviceListResponse(IReadOnlyList<DeviceDto> Devices);
internal sealed record DeviceIdsResponse(IReadOnlyList<int> Devices);
