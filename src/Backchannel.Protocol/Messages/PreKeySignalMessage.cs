using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.Messages;

/// <summary>
/// A PreKeySignalMessage (type 3): version byte ‖ protobuf {1 pre_key_id?, 2 base_key, 3 identity_key,
/// 4 message, 5 registration_id, 6 signed_pre_key_id, 7 kyber_pre_key_id, 8 kyber_ciphertext} (FACTS §4.6).
/// It has no MAC of its own: the inner SignalMessage's MAC and the PQXDH secret authenticate it.
/// </summary>
internal sealed class PreKeySignalMessage
{
    private readonly byte[] _serialized;

    private PreKeySignalMessage(byte[] serialized, int version, uint registrationId, uint? preKeyId, uint signedPreKeyId,
        uint kyberPreKeyId, byte[] kyberCiphertext, ECPublicKey baseKey, IdentityKey identityKey, SignalMessage message)
    {
        _serialized = serialized;
        Version = version;
        RegistrationId = registrationId;
        PreKeyId = preKeyId;
        SignedPreKeyId = signedPreKeyId;
        KyberPreKeyId = kyberPreKeyId;
        KyberCiphertext = kyberCiphertext;
        BaseKey = baseKey;
        IdentityKey = identityKey;
        Message = message;
    }

    internal int Version { get; }

    internal uint RegistrationId { get; }

    internal uint? PreKeyId { get; }

    internal uint SignedPreKeyId { get; }

    internal uint KyberPreKeyId { get; }

    internal byte[] KyberCiphertext { get; }

    internal ECPublicKey BaseKey { get; }

    internal IdentityKey IdentityKey { get; }

    internal SignalMessage Message { get; }

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>The serialized array itself, for handing to a <see cref="CiphertextMessage"/> without a copy; never mutated.</summary>
    internal byte[] SerializedArray => _serialized;

    internal static PreKeySignalMessage Create(uint registrationId, uint? preKeyId, uint signedPreKeyId, uint kyberPreKeyId,
        byte[] kyberCiphertext, ECPublicKey baseKey, IdentityKey identityKey, SignalMessage message)
    {
        var w = new ProtoWriter(message.Serialized.Length + kyberCiphertext.Length + 128);
        w.WriteByte(Constants.MessageVersionByte);
        if (preKeyId is { } id)
        {
            w.WriteUInt32(1, id);
        }
        w.WriteBytes(2, baseKey.Serialized);
        w.WriteBytes(3, identityKey.Serialized);
        w.WriteBytes(4, message.Serialized);
        w.WriteUInt32(5, registrationId);
        w.WriteUInt32(6, signedPreKeyId);
        w.WriteUInt32(7, kyberPreKeyId);
        w.WriteBytes(8, kyberCiphertext);
        return new PreKeySignalMessage(w.ToArray(), Constants.SessionVersion, registrationId, preKeyId, signedPreKeyId,
            kyberPreKeyId, kyberCiphertext, baseKey, identityKey, message);
    }

    /// <summary>Parses untrusted bytes; only protocol exceptions come out.</summary>
    internal static PreKeySignalMessage Parse(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length < 1)
        {
            throw new InvalidMessageException("PreKeySignalMessage too short");
        }
        var version = MessageVersion.Check(serialized[0]);
        var reader = new ProtoReader(serialized[1..]);
        uint? preKeyId = null, signedPreKeyId = null, kyberPreKeyId = null;
        uint registrationId = 0;
        byte[]? baseKey = null, identityKey = null, message = null, kyberCiphertext = null;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: preKeyId = reader.ReadUInt32(wire); break;
                case 2: baseKey = reader.ReadBytes(wire); break;
                case 3: identityKey = reader.ReadBytes(wire); break;
                case 4: message = reader.ReadBytes(wire); break;
                case 5: registrationId = reader.ReadUInt32(wire); break;
                case 6: signedPreKeyId = reader.ReadUInt32(wire); break;
                case 7: kyberPreKeyId = reader.ReadUInt32(wire); break;
                case 8: kyberCiphertext = reader.ReadBytes(wire); break;
                default: reader.Skip(wire); break;
            }
        }
        if (baseKey is null || identityKey is null || message is null || signedPreKeyId is null)
        {
            throw new InvalidMessageException("incomplete PreKeySignalMessage");
        }
        // Version 4 requires the Kyber part; version 3 (X3DH) is no longer accepted (FACTS §0, §4.6).
        if (kyberPreKeyId is null || kyberCiphertext is null || version != Constants.SessionVersion)
        {
            throw new InvalidMessageException("PreKeySignalMessage without Kyber prekey");
        }
        ECPublicKey parsedBaseKey;
        IdentityKey parsedIdentity;
        try
        {
            parsedBaseKey = ECPublicKey.Deserialize(baseKey);
            parsedIdentity = Protocol.IdentityKey.Deserialize(identityKey);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid key in PreKeySignalMessage");
        }
        var inner = SignalMessage.Parse(message);
        return new PreKeySignalMessage(serialized.ToArray(), version, registrationId, preKeyId, signedPreKeyId.Value,
            kyberPreKeyId.Value, kyberCiphertext, parsedBaseKey, parsedIdentity, inner);
    }
}
