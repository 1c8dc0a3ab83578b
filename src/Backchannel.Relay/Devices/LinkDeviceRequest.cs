using Backchannel.Relay.Keys;

namespace Backchannel.Relay.Devices;

/// <summary>Body of <c>POST /v1/devices</c>: the link token from an existing device, and the new device's credential and keys.</summary>
internal sealed class LinkDeviceRequest
{
    public string? Account { get; set; }

    public string? LinkToken { get; set; }

    public string? Credential { get; set; }

    public int? RegistrationId { get; set; }

    public string? Name { get; set; }

    public SignedPreKeyDto? SignedPreKey { get; set; }

    public SignedPreKeyDto? KyberLastResortPreKey { get; set; }

    public List<PreKeyDto?>? PreKeys { get; set; }

    public List<SignedPreKeyDto?>? KyberPreKeys { get; set; }
}
