namespace Backchannel.Protocol;

/// <summary>
/// One recipient of a sealed sender v2 sent message: its service id (a bare lowercase UUID for an ACI, "PNI:" + UUID
/// for a PNI) and the devices the sender addressed, each with the registration id the sender expects (14 bits).
/// An excluded recipient has no devices.
/// </summary>
public sealed record SealedSenderRecipient(string ServiceId, IReadOnlyList<(int DeviceId, int RegistrationId)> Devices)
{
    /// <inheritdoc />
    public override string ToString() => $"{nameof(SealedSenderRecipient)}({ServiceId}, {Devices.Count} devices)";
}
