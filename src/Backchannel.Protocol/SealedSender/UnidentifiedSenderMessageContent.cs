using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.SealedSender;

/// <summary>
/// The inner content of a sealed message: protobuf {1 type, 2 sender certificate, 3 content, 4 content hint?,
/// 5 group id?} (FACTS §4.11). Types: PREKEY = 1 (ciphertext type 3), MESSAGE = 2 (type 2), SENDERKEY = 7,
/// PLAINTEXT = 8.
/// </summary>
internal sealed record UnidentifiedSenderMessageContent(int CiphertextType, SenderCertificate Sender, byte[] Content, uint? ContentHint, byte[]? GroupId)
{
    /// <summary>The serialized content, sized first and written into its final array.</summary>
    internal byte[] Serialize()
    {
        var type = ToProtoType(CiphertextType);
        var size = ProtoSize.UInt32(1, type) + ProtoSize.Bytes(2, Sender.Serialized.Length) + ProtoSize.Bytes(3, Content.Length)
            + (ContentHint is { } h ? ProtoSize.UInt32(4, h) : 0) + (GroupId is not null ? ProtoSize.Bytes(5, GroupId.Length) : 0);
        var bytes = new byte[size];
        var w = new ProtoSpanWriter(bytes);
        w.WriteUInt32(1, type);
        w.WriteBytes(2, Sender.Serialized);
        w.WriteBytes(3, Content);
        if (ContentHint is { } hint)
        {
            w.WriteUInt32(4, hint);
        }
        if (GroupId is not null)
        {
            w.WriteBytes(5, GroupId);
        }
        return bytes;
    }

    internal static UnidentifiedSenderMessageContent Parse(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        uint? type = null, hint = null;
        byte[]? certificate = null, content = null, groupId = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: type = r.ReadUInt32(wt); break;
                case 2: certificate = r.ReadBytes(wt); break;
                case 3: content = r.ReadBytes(wt); break;
                case 4: hint = r.ReadUInt32(wt); break;
                case 5: groupId = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (type is null || certificate is null || content is null)
        {
            throw new InvalidMessageException("incomplete sealed sender content");
        }
        return new UnidentifiedSenderMessageContent(FromProtoType(type.Value), SenderCertificate.Deserialize(certificate), content, hint, groupId);
    }

    private static uint ToProtoType(int ciphertextType) => ciphertextType switch
    {
        CiphertextMessage.PreKeyType => 1,
        CiphertextMessage.WhisperType => 2,
        CiphertextMessage.SenderKeyType => 7,
        CiphertextMessage.PlaintextType => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(ciphertextType)),
    };

    private static int FromProtoType(uint protoType) => protoType switch
    {
        1 => CiphertextMessage.PreKeyType,
        2 => CiphertextMessage.WhisperType,
        7 => CiphertextMessage.SenderKeyType,
        8 => CiphertextMessage.PlaintextType,
        _ => throw new InvalidMessageException("unknown sealed sender content type"),
    };

    public override string ToString() => nameof(UnidentifiedSenderMessageContent);
}
