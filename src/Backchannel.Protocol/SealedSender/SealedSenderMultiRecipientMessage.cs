using Backchannel.Protocol.SealedSender;

namespace Backchannel.Protocol;

/// <summary>
/// The server's view of a sealed sender v2 sent message (FACTS §4.11; format facts from libsignal sealed_sender.rs,
/// SealedSenderV2SentMessage::parse, v0.90.0): who it is for, and each recipient's received form
/// <c>0x22 ‖ C ‖ AT ‖ E.pub ‖ ciphertext</c>. A relay parses once and delivers one received form per recipient; it
/// learns neither the sender nor the content. Malformed input throws <see cref="InvalidMessageException"/> only.
/// </summary>
public sealed class SealedSenderMultiRecipientMessage
{
    /// <summary>
    /// At most this many recipient entries are accepted in one message: far above any real group (Signal caps groups at
    /// about a thousand members), and it bounds the work a hostile count can ask for before the bytes run out.
    /// </summary>
    public const int MaxRecipients = 65_536;

    private const int MaxDeviceId = 127;
    private const int KeyMaterialLength = SealedSenderV2.MessageKeyLength + SealedSenderV2.AuthTagLength;

    private readonly byte[] _bytes;
    private readonly Dictionary<string, int> _keyMaterialOffsets;
    private readonly int _sharedOffset;

    private SealedSenderMultiRecipientMessage(byte[] bytes, byte version, IReadOnlyList<SealedSenderRecipient> recipients,
        IReadOnlyList<string> excluded, Dictionary<string, int> keyMaterialOffsets, int sharedOffset)
    {
        _bytes = bytes;
        Version = version;
        Recipients = recipients;
        ExcludedRecipients = excluded;
        _keyMaterialOffsets = keyMaterialOffsets;
        _sharedOffset = sharedOffset;
    }

    /// <summary>The version byte: 0x23 (service ids, what senders write today) or 0x22 (ACI UUIDs only).</summary>
    public byte Version { get; }

    /// <summary>Recipients with at least one device, in order of first appearance; repeated entries are merged.</summary>
    public IReadOnlyList<SealedSenderRecipient> Recipients { get; }

    /// <summary>Service ids the sender marked as deliberately excluded; disjoint from <see cref="Recipients"/>.</summary>
    public IReadOnlyList<string> ExcludedRecipients { get; }

    /// <summary>Parses a sent form. Anything malformed, truncated or of another version is an <see cref="InvalidMessageException"/>.</summary>
    public static SealedSenderMultiRecipientMessage Parse(ReadOnlySpan<byte> sent)
    {
        if (sent.IsEmpty)
        {
            throw new InvalidMessageException("sealed sender v2 message was empty");
        }
        var version = sent[0];
        if (version is not (SealedSenderV2.UuidVersion or SealedSenderV2.ServiceIdSentVersion))
        {
            throw new InvalidMessageException($"unknown sealed sender v2 sent version 0x{version:x2}");
        }
        var position = 1;
        var count = ReadVarint(sent, ref position);
        if (count > MaxRecipients)
        {
            throw new InvalidMessageException("too many sealed sender v2 recipients");
        }

        var order = new List<string>();
        var devices = new Dictionary<string, List<(int, int)>>();
        var offsets = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var recipient = ReadRecipient(sent, version, ref position);
            var these = new List<(int, int)>();
            while (true)
            {
                var deviceId = Take(sent, ref position, 1)[0];
                if (deviceId == 0)
                {
                    if (these.Count != 0)
                    {
                        throw new InvalidMessageException("device id 0 in a sealed sender v2 device list");
                    }
                    break;
                }
                if (deviceId > MaxDeviceId)
                {
                    throw new InvalidMessageException("invalid device id in a sealed sender v2 device list");
                }
                var field = Take(sent, ref position, 2);
                var registration = (field[0] << 8) | field[1];
                these.Add((deviceId, registration & SealedSenderV2.RegistrationIdMask));
                if ((registration & SealedSenderV2.HasMoreFlag) == 0)
                {
                    break;
                }
            }
            var keyMaterialOffset = -1;
            if (these.Count != 0)
            {
                keyMaterialOffset = position;
                Take(sent, ref position, KeyMaterialLength);
            }
            if (devices.TryGetValue(recipient, out var existing))
            {
                // As libsignal: a recipient may be split over several entries, but never mixed with an exclusion. The
                // first entry's key material is the one delivered.
                if (existing.Count == 0 || these.Count == 0)
                {
                    throw new InvalidMessageException("recipient redundantly encoded as empty");
                }
                existing.AddRange(these);
            }
            else
            {
                order.Add(recipient);
                devices[recipient] = these;
                offsets[recipient] = keyMaterialOffset;
            }
        }
        if (sent.Length - position < SealedSenderV2.PublicKeyLength)
        {
            throw new InvalidMessageException("sealed sender v2 message truncated before the ephemeral key");
        }

        var recipients = new List<SealedSenderRecipient>();
        var excluded = new List<string>();
        foreach (var serviceId in order)
        {
            if (devices[serviceId].Count == 0)
            {
                excluded.Add(serviceId);
                offsets.Remove(serviceId);
            }
            else
            {
                recipients.Add(new SealedSenderRecipient(serviceId, devices[serviceId].AsReadOnly()));
            }
        }
        return new SealedSenderMultiRecipientMessage(sent.ToArray(), version, recipients.AsReadOnly(), excluded.AsReadOnly(), offsets, position);
    }

    /// <summary>
    /// The received form for <paramref name="serviceId"/> (the same bytes for each of its devices):
    /// <c>0x22 ‖ C ‖ AT ‖ E.pub ‖ ciphertext</c>. Throws <see cref="ArgumentException"/> for a service id that is not
    /// among <see cref="Recipients"/>.
    /// </summary>
    public byte[] ReceivedMessageFor(string serviceId)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        if (!_keyMaterialOffsets.TryGetValue(serviceId, out var offset))
        {
            throw new ArgumentException("not a recipient of this message", nameof(serviceId));
        }
        var shared = _bytes.AsSpan(_sharedOffset);
        var received = new byte[1 + KeyMaterialLength + shared.Length];
        // libsignal delivers the received form under 0x22 whatever the sent version: it has not changed since then.
        received[0] = SealedSenderV2.UuidVersion;
        _bytes.AsSpan(offset, KeyMaterialLength).CopyTo(received.AsSpan(1));
        shared.CopyTo(received.AsSpan(1 + KeyMaterialLength));
        return received;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{nameof(SealedSenderMultiRecipientMessage)}(0x{Version:x2}, {Recipients.Count} recipients, {ExcludedRecipients.Count} excluded)";

    private static string ReadRecipient(ReadOnlySpan<byte> sent, byte version, ref int position)
    {
        if (version == SealedSenderV2.UuidVersion)
        {
            // The original v2 sent form carried ACIs only, as their 16 raw UUID bytes.
            return ServiceId.FromAciBytes(Take(sent, ref position, ServiceId.UuidLength)).ToString();
        }
        return ServiceId.TryReadFixedWidth(Take(sent, ref position, ServiceId.FixedWidthLength), out var serviceId)
            ? serviceId.ToString()
            : throw new InvalidMessageException("unknown service id kind in sealed sender v2 message");
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int position, int length)
    {
        if (data.Length - position < length)
        {
            throw new InvalidMessageException("sealed sender v2 message truncated");
        }
        var slice = data.Slice(position, length);
        position += length;
        return slice;
    }

    // Protobuf-style unsigned varint (libsignal encodes the count with prost's length delimiter); at most 5 bytes here,
    // since a count beyond 32 bits is refused anyway.
    private static int ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(data, ref position, 1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value > int.MaxValue ? int.MaxValue : (int)value;
            }
        }
        throw new InvalidMessageException("invalid recipient count in sealed sender v2 message");
    }
}
