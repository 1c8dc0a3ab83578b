using Backchannel.Protocol.SealedSender;

namespace Backchannel.Protocol;

/// <summary>The sender and plaintext of a sealed message, once opened and checked.</summary>
public sealed record SealedSenderResult(string SenderUuid, int SenderDevice, int CiphertextType, byte[] Plaintext)
{
    /// <inheritdoc />
    public override string ToString() => $"{nameof(SealedSenderResult)}({SenderUuid}.{SenderDevice})";
}

/// <summary>
/// Sealed sender v1 around 1:1 and sender-key messages (FACTS §4.11): the relay sees neither the sender nor the
/// content. The recipient checks the sender certificate against the trust root before decrypting the inner
/// message with the sender's session.
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
        return Seal(store, destination, senderCertificate, message.Type, message.Serialize(), null);
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
    /// Opens a sealed message, validates its certificate at <paramref name="timestampMs"/> against
    /// <paramref name="trustRoot"/> (<see cref="InvalidCertificateException"/> otherwise) and decrypts the inner
    /// message with the sender's session or sender key.
    /// </summary>
    public static SealedSenderResult Decrypt(IProtocolStore store, ISenderKeyStore? senderKeys, ECPublicKey trustRoot, long timestampMs,
        ReadOnlySpan<byte> ciphertext, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(trustRoot);
        var content = SealedSenderV1.Open(store.GetIdentityKeyPair(), ciphertext);
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
