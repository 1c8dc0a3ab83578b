using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// Sealed sender v2, the multi-recipient KEM (FACTS §4.11; facts from libsignal sealed_sender.rs, module
/// sealed_sender_v2 and sealed_sender_multi_recipient_encrypt, v0.90.0). One random M per message gives the ephemeral
/// key E and the AES-256-GCM-SIV key K; each recipient identity R gets C = HKDF(DH(E, R) ‖ E ‖ R, "DH") ⊕ M and
/// AT = HKDF(DH(S, R) ‖ E ‖ C ‖ S ‖ R, "DH-sender")[..16]; everyone shares E.pub and the one ciphertext.
/// This type owns the key schedule and both wire forms' crypto; the sent form's framing is parsed by
/// <see cref="SealedSenderMultiRecipientMessage"/>, and sessions, stores and certificates are the caller's.
/// </summary>
internal static class SealedSenderV2
{
    /// <summary>Version byte of the sent form libsignal writes since ServiceIds (0x23) and of the received form (0x22).</summary>
    internal const byte ServiceIdSentVersion = 0x23;
    internal const byte UuidVersion = 0x22;
    internal const int MajorVersion = 2;

    /// <summary>Length of M and of each C (libsignal MESSAGE_KEY_LEN).</summary>
    internal const int MessageKeyLength = 32;

    /// <summary>Length of each AT (libsignal AUTH_TAG_LEN).</summary>
    internal const int AuthTagLength = 16;

    /// <summary>E.pub travels as the raw 32-byte Curve25519 u-coordinate, without the 0x05 type byte.</summary>
    internal const int PublicKeyLength = 32;

    /// <summary>Registration ids are 14 bits; the top bit of the 16-bit field is the "more devices follow" flag.</summary>
    internal const ushort RegistrationIdMask = 0x3FFF;
    internal const ushort HasMoreFlag = 0x8000;

    /// <summary>Bytes before the shared part of a received message: version ‖ C ‖ AT.</summary>
    internal const int ReceivedPrefixLength = 1 + MessageKeyLength + AuthTagLength;

    // HKDF info labels (libsignal sealed_sender.rs LABEL_R, LABEL_K, LABEL_DH, LABEL_DH_S); HKDF never takes a salt here.
    private static ReadOnlySpan<byte> LabelR => "Sealed Sender v2: r (2023-08)"u8;
    private static ReadOnlySpan<byte> LabelK => "Sealed Sender v2: K"u8;
    private static ReadOnlySpan<byte> LabelDh => "Sealed Sender v2: DH"u8;
    private static ReadOnlySpan<byte> LabelDhSender => "Sealed Sender v2: DH-sender"u8;

    /// <summary>
    /// Writes the sent form: 0x23 ‖ varint count ‖ per recipient {ServiceId(17) ‖ devices ‖ C ‖ AT}, then each excluded
    /// recipient {ServiceId(17) ‖ 0x00} ‖ E.pub(32) ‖ GCM-SIV(content) ‖ tag. Devices are (id byte, big-endian u16 of
    /// registration id with 0x8000 set on all but the last).
    /// </summary>
    internal static byte[] Encrypt(IdentityKeyPair sender,
        IReadOnlyList<(ServiceId Recipient, IdentityKey Identity, IReadOnlyList<(int DeviceId, ushort RegistrationId)> Devices)> recipients,
        IReadOnlyList<ServiceId> excluded, UnidentifiedSenderMessageContent content)
    {
        Span<byte> m = stackalloc byte[MessageKeyLength];
        RandomNumberGenerator.Fill(m);
        using var e = DeriveEphemeral(m);
        var ePublic = e.PublicKey();
        var k = DeriveCipherKey(m);
        var serializedContent = content.Serialize();
        var ciphertext = AesGcmSiv.Encrypt(k, serializedContent);
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(serializedContent);

        using var output = new MemoryStream(ciphertext.Length + 64 + (recipients.Count * 80));
        output.WriteByte(ServiceIdSentVersion);
        WriteVarint(output, (uint)(recipients.Count + excluded.Count));
        Span<byte> serviceId = stackalloc byte[ServiceId.FixedWidthLength];
        Span<byte> c = stackalloc byte[MessageKeyLength];
        Span<byte> at = stackalloc byte[AuthTagLength];
        foreach (var (recipient, identity, devices) in recipients)
        {
            recipient.WriteFixedWidth(serviceId);
            output.Write(serviceId);
            for (var i = 0; i < devices.Count; i++)
            {
                var registration = (ushort)(devices[i].RegistrationId | (i < devices.Count - 1 ? HasMoreFlag : 0));
                output.WriteByte((byte)devices[i].DeviceId);
                output.WriteByte((byte)(registration >> 8));
                output.WriteByte((byte)registration);
            }
            MaskMessageKey(e, identity.PublicKey, ePublic, identity.PublicKey, m, c);
            AuthenticationTag(sender.PrivateKey, identity.PublicKey, ePublic, c, sender.PublicKey.PublicKey, identity.PublicKey, at);
            output.Write(c);
            output.Write(at);
        }
        foreach (var recipient in excluded)
        {
            recipient.WriteFixedWidth(serviceId);
            output.Write(serviceId);
            output.WriteByte(0);
        }
        CryptographicOperations.ZeroMemory(m);
        output.Write(ePublic.Raw);
        output.Write(ciphertext);
        return output.ToArray();
    }

    /// <summary>
    /// Opens a received form (version ‖ C(32) ‖ AT(16) ‖ E.pub(32) ‖ ciphertext): recovers M, re-derives E and requires
    /// it to equal E.pub, decrypts, then checks AT against the identity the certificate inside names.
    /// </summary>
    internal static UnidentifiedSenderMessageContent Open(IdentityKeyPair recipient, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < ReceivedPrefixLength + PublicKeyLength || bytes[0] >> 4 != MajorVersion)
        {
            throw new InvalidMessageException("sealed sender v2 message too short");
        }
        var c = bytes.Slice(1, MessageKeyLength);
        var at = bytes.Slice(1 + MessageKeyLength, AuthTagLength);
        var ePublic = ECPublicKey.FromRaw(bytes.Slice(ReceivedPrefixLength, PublicKeyLength));
        var encrypted = bytes[(ReceivedPrefixLength + PublicKeyLength)..];

        Span<byte> m = stackalloc byte[MessageKeyLength];
        try
        {
            MaskMessageKey(recipient.PrivateKey, ePublic, ePublic, recipient.PublicKey.PublicKey, c, m);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid ephemeral key in sealed sender v2 message");
        }
        byte[] k;
        using (var derived = DeriveEphemeral(m))
        {
            var matches = CryptographicOperations.FixedTimeEquals(derived.PublicKey().Raw, ePublic.Raw);
            k = DeriveCipherKey(m);
            CryptographicOperations.ZeroMemory(m);
            if (!matches)
            {
                CryptographicOperations.ZeroMemory(k);
                throw new InvalidMessageException("derived ephemeral key did not match key provided in message");
            }
        }
        var contentBytes = AesGcmSiv.Decrypt(k, encrypted);
        CryptographicOperations.ZeroMemory(k);
        if (contentBytes is null)
        {
            throw new InvalidMessageException("failed to decrypt sealed sender v2 content");
        }
        UnidentifiedSenderMessageContent content;
        try
        {
            content = UnidentifiedSenderMessageContent.Parse(contentBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentBytes);
        }

        Span<byte> expected = stackalloc byte[AuthTagLength];
        var senderKey = content.Sender.IdentityKey.PublicKey;
        try
        {
            AuthenticationTag(recipient.PrivateKey, senderKey, ePublic, c, senderKey, recipient.PublicKey.PublicKey, expected);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("sender key does not authenticate the sealed sender v2 message");
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, at))
        {
            // libsignal: "sender certificate key does not match authentication tag". AT is the only MAC binding the
            // sender to the envelope, so a mismatch (tampered AT or C, or a certificate for another identity) is a
            // MAC failure: InvalidMessage (DESIGN.md §4.1; tests/interop/README.md).
            throw new InvalidMessageException("sender certificate key does not match authentication tag");
        }
        return content;
    }

    /// <summary>E from M: r = HKDF(IKM = M, info = label r, 32) used as the (clamped) X25519 private key.</summary>
    private static ECPrivateKey DeriveEphemeral(ReadOnlySpan<byte> m)
    {
        Span<byte> r = stackalloc byte[32];
        Kdf.Hkdf(m, [], LabelR, r);
        var key = ECPrivateKey.Deserialize(r);
        CryptographicOperations.ZeroMemory(r);
        return key;
    }

    /// <summary>K from M: HKDF(IKM = M, info = label K, 32).</summary>
    private static byte[] DeriveCipherKey(ReadOnlySpan<byte> m)
    {
        var k = new byte[AesGcmSiv.KeyLength];
        Kdf.Hkdf(m, [], LabelK, k);
        return k;
    }

    /// <summary>
    /// output = HKDF(DH ‖ E.pub(33) ‖ R.pub(33), info = label DH, 32) ⊕ input. The sender runs it with (E, R), the
    /// recipient with (R, E); both feed the ephemeral key first and the recipient's identity second.
    /// </summary>
    private static void MaskMessageKey(ECPrivateKey ours, ECPublicKey theirs, ECPublicKey ephemeral, ECPublicKey recipient,
        ReadOnlySpan<byte> input, Span<byte> output)
    {
        var dh = ours.Agree(theirs);
        Span<byte> ikm = stackalloc byte[32 + (2 * ECPublicKey.SerializedLength)];
        dh.CopyTo(ikm);
        ephemeral.Serialized.CopyTo(ikm[32..]);
        recipient.Serialized.CopyTo(ikm[(32 + ECPublicKey.SerializedLength)..]);
        CryptographicOperations.ZeroMemory(dh);
        Kdf.Hkdf(ikm, [], LabelDh, output[..MessageKeyLength]);
        CryptographicOperations.ZeroMemory(ikm);
        for (var i = 0; i < MessageKeyLength; i++)
        {
            output[i] ^= input[i];
        }
    }

    /// <summary>
    /// AT = HKDF(DH(S, R) ‖ E.pub(33) ‖ C(32) ‖ S.pub(33) ‖ R.pub(33), info = label DH-sender, 16). The sender runs it
    /// with its private key and R, the recipient with its private key and S; the key order in the input is the same.
    /// </summary>
    private static void AuthenticationTag(ECPrivateKey ours, ECPublicKey theirs, ECPublicKey ephemeral, ReadOnlySpan<byte> c,
        ECPublicKey sender, ECPublicKey recipient, Span<byte> output)
    {
        var dh = ours.Agree(theirs);
        const int n = ECPublicKey.SerializedLength;
        Span<byte> ikm = stackalloc byte[32 + n + MessageKeyLength + n + n];
        dh.CopyTo(ikm);
        ephemeral.Serialized.CopyTo(ikm[32..]);
        c.CopyTo(ikm[(32 + n)..]);
        sender.Serialized.CopyTo(ikm[(32 + n + MessageKeyLength)..]);
        recipient.Serialized.CopyTo(ikm[(32 + n + MessageKeyLength + n)..]);
        CryptographicOperations.ZeroMemory(dh);
        Kdf.Hkdf(ikm, [], LabelDhSender, output[..AuthTagLength]);
        CryptographicOperations.ZeroMemory(ikm);
    }

    private static void WriteVarint(Stream output, uint value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
