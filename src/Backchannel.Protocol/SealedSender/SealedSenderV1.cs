using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// Sealed sender v1 (version byte 0x11; FACTS §4.11): an ephemeral key hides the sender's identity key from
/// anyone but the recipient, and a second layer keyed by both identities authenticates the sender.
/// Wire: 0x11 ‖ protobuf {1 ephemeral public, 2 encrypted static, 3 encrypted message}.
/// </summary>
internal static class SealedSenderV1
{
    private const byte VersionByte = 0x11;

    private static ReadOnlySpan<byte> SaltPrefix => "UnidentifiedDelivery"u8;

    internal static byte[] Seal(IdentityKeyPair sender, IdentityKey recipient, UnidentifiedSenderMessageContent content)
    {
        using var ephemeral = ECKeyPair.Generate();
        var (chainKey, cipherKey, macKey) = EphemeralKeys(ephemeral.PrivateKey, recipient.PublicKey, recipient.PublicKey, ephemeral.PublicKey);
        var encryptedStatic = AesCtrHmac.Encrypt(cipherKey, macKey, sender.PublicKey.Serialized);
        var (staticCipher, staticMac) = StaticKeys(sender.PrivateKey, recipient.PublicKey, chainKey, encryptedStatic);
        var serializedContent = content.Serialize();
        try
        {
            // Sized first and encrypted straight into the final array.
            var encryptedLength = AesCtrHmac.EncryptedLength(serializedContent.Length);
            var size = 1 + ProtoSize.Bytes(1, ECPublicKey.SerializedLength) + ProtoSize.Bytes(2, encryptedStatic.Length)
                + ProtoSize.Bytes(3, encryptedLength);
            var sealedMessage = new byte[size];
            var w = new ProtoSpanWriter(sealedMessage);
            w.WriteByte(VersionByte);
            w.WriteBytes(1, ephemeral.PublicKey.Serialized);
            w.WriteBytes(2, encryptedStatic);
            AesCtrHmac.Encrypt(staticCipher, staticMac, serializedContent, w.ReserveBytes(3, encryptedLength));
            return sealedMessage;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(serializedContent);
            foreach (var key in new[] { chainKey, cipherKey, macKey, staticCipher, staticMac })
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    internal static UnidentifiedSenderMessageContent Open(IdentityKeyPair recipient, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 1)
        {
            throw new InvalidMessageException("sealed sender message too short");
        }
        var version = bytes[0] >> 4;
        if (version > 1)
        {
            throw new InvalidMessageException($"unsupported sealed sender version {version}");
        }
        var r = new ProtoReader(bytes[1..]);
        // Slices of the caller's bytes: nothing is copied before it is decrypted.
        ReadOnlySpan<byte> ephemeralBytes = default, encryptedStatic = default, encryptedMessage = default;
        bool hasEphemeral = false, hasStatic = false, hasMessage = false;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: ephemeralBytes = r.ReadBytesSpan(wt); hasEphemeral = true; break;
                case 2: encryptedStatic = r.ReadBytesSpan(wt); hasStatic = true; break;
                case 3: encryptedMessage = r.ReadBytesSpan(wt); hasMessage = true; break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasEphemeral || !hasStatic || !hasMessage)
        {
            throw new InvalidMessageException("incomplete sealed sender message");
        }
        ECPublicKey ephemeral;
        try
        {
            ephemeral = ECPublicKey.Deserialize(ephemeralBytes);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid ephemeral key in sealed sender message");
        }

        var (chainKey, cipherKey, macKey) = EphemeralKeys(recipient.PrivateKey, ephemeral, recipient.PublicKey.PublicKey, ephemeral);
        var staticBytes = AesCtrHmac.Decrypt(cipherKey, macKey, encryptedStatic)
            ?? throw new InvalidMessageException("failed to decrypt sender static key");
        ECPublicKey senderStatic;
        try
        {
            senderStatic = ECPublicKey.Deserialize(staticBytes);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid sender static key");
        }
        var (staticCipher, staticMac) = StaticKeys(recipient.PrivateKey, senderStatic, chainKey, encryptedStatic);
        var contentBytes = AesCtrHmac.Decrypt(staticCipher, staticMac, encryptedMessage)
            ?? throw new InvalidMessageException("failed to decrypt sealed sender content");
        foreach (var key in new[] { chainKey, cipherKey, macKey, staticCipher, staticMac })
        {
            CryptographicOperations.ZeroMemory(key);
        }
        var content = UnidentifiedSenderMessageContent.Parse(contentBytes);
        CryptographicOperations.ZeroMemory(contentBytes);
        if (!content.Sender.IdentityKey.PublicKey.Equals(senderStatic))
        {
            // The envelope is intact but the certificate names someone else: a certificate failure, as libsignal's
            // "invalid sealed sender message: sender certificate key does not match message key" maps (DESIGN.md §4.1).
            throw new InvalidCertificateException("sender certificate key does not match message key");
        }
        return content;
    }

    // HKDF(salt = "UnidentifiedDelivery" ‖ recipient identity ‖ ephemeral public, DH, no info, 96) → chain ‖ cipher ‖ MAC.
    private static (byte[] Chain, byte[] Cipher, byte[] Mac) EphemeralKeys(ECPrivateKey ours, ECPublicKey theirs, ECPublicKey recipientIdentity, ECPublicKey ephemeralPublic)
    {
        var salt = new byte[SaltPrefix.Length + 66];
        SaltPrefix.CopyTo(salt);
        recipientIdentity.Serialized.CopyTo(salt.AsSpan(SaltPrefix.Length));
        ephemeralPublic.Serialized.CopyTo(salt.AsSpan(SaltPrefix.Length + 33));
        var dh = ours.Agree(theirs);
        Span<byte> okm = stackalloc byte[96];
        Kdf.Hkdf(dh, salt, [], okm);
        CryptographicOperations.ZeroMemory(dh);
        var result = (okm[..32].ToArray(), okm[32..64].ToArray(), okm[64..].ToArray());
        CryptographicOperations.ZeroMemory(okm);
        return result;
    }

    // HKDF(salt = chain key ‖ encrypted static, DH(identities), no info, 96) → (unused ‖) cipher ‖ MAC.
    private static (byte[] Cipher, byte[] Mac) StaticKeys(ECPrivateKey ours, ECPublicKey theirs, byte[] chainKey, ReadOnlySpan<byte> encryptedStatic)
    {
        var salt = new byte[chainKey.Length + encryptedStatic.Length];
        chainKey.CopyTo(salt, 0);
        encryptedStatic.CopyTo(salt.AsSpan(chainKey.Length));
        var dh = ours.Agree(theirs);
        Span<byte> okm = stackalloc byte[96];
        Kdf.Hkdf(dh, salt, [], okm);
        CryptographicOperations.ZeroMemory(dh);
        var result = (okm[32..64].ToArray(), okm[64..].ToArray());
        CryptographicOperations.ZeroMemory(okm);
        return result;
    }
}
