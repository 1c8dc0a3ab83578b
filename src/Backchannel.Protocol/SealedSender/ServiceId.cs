namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// A Signal service id as sealed sender v2 addresses recipients (libsignal rust/core address.rs): an ACI, written as a
/// bare UUID, or a PNI, written "PNI:" + UUID. The fixed-width binary form is the kind byte (0 ACI, 1 PNI) followed by
/// the 16 UUID bytes in RFC 4122 (big-endian) order.
/// </summary>
internal readonly record struct ServiceId(byte Kind, Guid Uuid)
{
    internal const byte AciKind = 0;
    internal const byte PniKind = 1;
    internal const int FixedWidthLength = 17;
    internal const int UuidLength = 16;
    private const string PniPrefix = "PNI:";

    /// <summary>Parses the string form (UUID case-insensitive, as libsignal); false when it is not a service id.</summary>
    internal static bool TryParse(string text, out ServiceId serviceId)
    {
        serviceId = default;
        var kind = AciKind;
        var uuidText = text.AsSpan();
        if (text.StartsWith(PniPrefix, StringComparison.Ordinal))
        {
            kind = PniKind;
            uuidText = uuidText[PniPrefix.Length..];
        }
        if (uuidText.Length != 36 || !Guid.TryParseExact(uuidText, "D", out var uuid))
        {
            return false;
        }
        serviceId = new ServiceId(kind, uuid);
        return true;
    }

    /// <summary>Reads 17 bytes; false for an unknown kind byte.</summary>
    internal static bool TryReadFixedWidth(ReadOnlySpan<byte> bytes, out ServiceId serviceId)
    {
        serviceId = default;
        if (bytes[0] is not (AciKind or PniKind))
        {
            return false;
        }
        serviceId = new ServiceId(bytes[0], new Guid(bytes.Slice(1, UuidLength), bigEndian: true));
        return true;
    }

    internal static ServiceId FromAciBytes(ReadOnlySpan<byte> uuid) => new(AciKind, new Guid(uuid, bigEndian: true));

    internal void WriteFixedWidth(Span<byte> destination)
    {
        destination[0] = Kind;
        Uuid.TryWriteBytes(destination.Slice(1, UuidLength), bigEndian: true, out _);
    }

    /// <summary>The string form: lowercase UUID for an ACI, "PNI:" + lowercase UUID for a PNI.</summary>
    public override string ToString() => Kind == PniKind ? PniPrefix + Uuid.ToString("D") : Uuid.ToString("D");
}
