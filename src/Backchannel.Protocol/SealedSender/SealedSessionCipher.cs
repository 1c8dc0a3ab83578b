using Backchannel.Protocol.SealedSender;

namespace Backchannel.Protocol;

/// <summary>The sealed layer opened: the sender the certificate names, and the inner message still encrypted.</summary>
public sealed record SealedSenderContent(string SenderUuid, int SenderDevice, int CiphertextType, byte[] Content);

/// <summary>The sender and plaintext of a sealed message, once opened and checked.</summary>
public sealed record SealedSenderResult(string SenderUuid, int SenderDevice, int CiphertextType, byte[] Plaintext)
{
    /// <inheritdoc />
    public override string ToString() => $"{nameof(SealedSenderResult)}({SenderUuid}.{SenderDevice})";
}

/// <summary>
/// Sealed sender around 1:1 and sender-key messages (FACTS §4.11): the relay sees neither the sender nor the
/// content. v1 seals for one recipient; v2 (<see cref="MultiRecipientEncrypt"/>) seals one payload for many, and the
/// relay splits it with <see cref="SealedSenderMultiRecipientMessage"/>. The recipient checks the sender certificate
/// against the trust root before decrypting the inner message with the sender's session or sender key.
/// </summary>
public static class SealedSessionCipher
{
    /// <summary>Encrypts <paramref name="plaintext"/> with the 1:1 session and seals it for the destination.</summary>
    public static byte[] Encrypt(IProtocolStore store, ProtocolAddress destination, SenderCertificate senderCertificate,
        ReadOnlySpan<byte> plaintext, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(senderCertificate);
        var message = new SessionCipher(store, destination, time).Encrypt(plaintext);
        return Seal(store, destination, senderCertificate, message.Type, message.SerializedArray, null);
    }

    /// <summary>Seals an already encrypted message (1:1 or sender key) for the destination's identity.</summary>
    public static byte[] Seal(IIdentityKeyStore store, ProtocolAddress destination, SenderCertificate senderCertificate,
        int ciphertextType, byte[] ciphertext, byte[]? groupId)
    {
        ArgumentNullException.ThrowIfNull(store);
        var recipient = store.GetIdentity(destination) ?? throw new NoSessionException($"no identity known for {destination}");
        var content = new UnidentifiedSenderMessageContent(ciphertextType, senderCertificate, ciphertext, null, groupId);
        return SealedSenderV1.Seal(store.GetIdentityKeyPair(), recipient, content);
    }

    /// <summary>
    /// Seals an already encrypted message (typically a sender-key message, <see cref="CiphertextMessage.SenderKeyType"/>)
    /// once for all <paramref name="recipients"/> with sealed sender v2, returning the sent form (version 0x23) for the
    /// relay. Each recipient's name must be a service id (an ACI UUID, or "PNI:" + UUID) and each needs a current
    /// session (for its registration id) and a known identity; consecutive addresses of one name share one entry, as
    /// libsignal writes them, so all devices of a name must share its identity key. <paramref name="excludedRecipients"/>
    /// names service ids deliberately left out.
    /// </summary>
    /// <exception cref="NoSessionException">A recipient has no current session or no known identity.</exception>
    public static byte[] MultiRecipientEncrypt(IProtocolStore store, IReadOnlyList<ProtocolAddress> recipients, SenderCertificate senderCertificate,
        int ciphertextType, byte[] content, byte[]? groupId, IReadOnlyList<string>? excludedRecipients = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(senderCertificate);
        ArgumentNullException.ThrowIfNull(content);
        if (recipients.Count == 0)
        {
            throw new ArgumentException("at least one recipient is needed", nameof(recipients));
        }
        var groups = new List<(ServiceId, IdentityKey, IReadOnlyList<(int, ushort)>)>();
        var seen = new HashSet<ServiceId>();
        for (var i = 0; i < recipients.Count;)
        {
            var first = recipients[i] ?? throw new ArgumentException("null recipient", nameof(recipients));
            if (!ServiceId.TryParse(first.Name, out var serviceId))
            {
                throw new ArgumentException($"multi-recipient sealed sender needs service ids as names, not {first.Name}", nameof(recipients));
            }
            var identity = store.GetIdentity(first) ?? throw new NoSessionException($"no identity known for {first}");
            var devices = new List<(int, ushort)>();
            for (; i < recipients.Count && recipients[i]?.Name == first.Name; i++)
            {
                var address = recipients[i];
                if (address.DeviceId is < 1 or > 127)
                {
                    throw new ArgumentOutOfRangeException(nameof(recipients), $"device id {address.DeviceId} is outside 1..127");
                }
                uint registrationId;
                using (var record = store.LoadSession(address))
                {
                    registrationId = record?.Current?.RemoteRegistrationId
                        ?? throw new NoSessionException($"no current session with {address}");
                }
                if ((registrationId & ~(uint)SealedSenderV2.RegistrationIdMask) != 0)
                {
                    throw new InvalidOperationException($"registration id of {address} does not fit in 14 bits");
                }
                devices.Add((address.DeviceId, (ushort)registrationId));
            }
            seen.Add(serviceId);
            groups.Add((serviceId, identity, devices));
        }
        var excluded = new List<ServiceId>();
        foreach (var name in excludedRecipients ?? [])
        {
            if (name is null || !ServiceId.TryParse(name, out var serviceId))
            {
                throw new ArgumentException($"excluded recipient {name} is not a service id", nameof(excludedRecipients));
            }
            if (seen.Contains(serviceId) || excluded.Contains(serviceId))
            {
                throw new ArgumentException($"excluded recipient {name} is also a recipient or listed twice", nameof(excludedRecipients));
            }
            excluded.Add(serviceId);
        }
        var inner = new UnidentifiedSenderMessageContent(ciphertextType, senderCertificate, content, null, groupId is { Length: > 0 } ? groupId : null);
        return SealedSenderV2.Encrypt(store.GetIdentityKeyPair(), groups, excluded, inner);
    }

    /// <summary>
    /// Opens only the sealed layer (as libsignal's <c>sealedSenderDecryptToUsmc</c>): who the certificate names, the
    /// inner message's type and its ciphertext, undecrypted. The certificate is not validated here.
    /// </summary>
    public static SealedSenderContent Open(IIdentityKeyStore store, ReadOnlySpan<byte> ciphertext)
    {
        ArgumentNullException.ThrowIfNull(store);
        var content = !ciphertext.IsEmpty && ciphertext[0] >> 4 == SealedSenderV2.MajorVersion
            ? SealedSenderV2.Open(store.GetIdentityKeyPair(), ciphertext)
            : SealedSenderV1.Open(store.GetIdentityKeyPair(), ciphertext);
        return new SealedSenderContent(content.Sender.SenderUuid, content.Sender.DeviceId, content.CiphertextType, content.Content);
    }

    /// <summary>
    /// Opens a sealed message (v1, or a v2 received form as <see cref="SealedSenderMultiRecipientMessage"/> delivers
    /// it), validates its certificate at <paramref name="timestampMs"/> against <paramref name="trustRoot"/>
    /// (<see cref="InvalidCertificateException"/> otherwise) and decrypts the inner message with the sender's session or
    /// sender key.
    /// </summary>
    public static SealedSenderResult Decrypt(IProtocolStore store, ISenderKeyStore? senderKeys, ECPublicKey trustRoot, long timestampMs,
        ReadOnlySpan<byte> ciphertext, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(trustRoot);
        var content = !ciphertext.IsEmpty && ciphertext[0] >> 4 == SealedSenderV2.MajorVersion
            ? SealedSenderV2.Open(store.GetIdentityKeyPair(), ciphertext)
            : SealedSenderV1.Open(store.GetIdentityKeyPair(), ciphertext);
        if (!content.Sender.Validate(trustRoot, timestampMs))
        {
            throw new InvalidCertificateException("sender certificate failed validation");
        }
        var sender = new ProtocolAddress(content.Sender.SenderUuid, content.Sender.DeviceId);
        var plaintext = content.CiphertextType switch
        {
            CiphertextMessage.SenderKeyType => GroupCipher.Decrypt(
                senderKeys ?? throw new NoSessionException("no sender key store"), sender, content.Content),
            CiphertextMessage.PlaintextType => throw new InvalidMessageException("plaintext content is not supported"),
            _ => new SessionCipher(store, sender, time).Decrypt(content.CiphertextType, content.Content),
        };
        return new SealedSenderResult(sender.Name, sender.DeviceId, content.CiphertextType, plaintext);
    }
}
