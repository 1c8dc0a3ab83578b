namespace Backchannel.Interop.Tests.Harness;

/// <summary>Copies of messages with one byte flipped at a chosen place (LIBSIGNAL-FACTS §4.6, §4.10, §4.11 layouts).</summary>
internal static class Tamper
{
    private const int MacLength = 8;
    private const int SenderKeySignatureLength = 64;

    /// <summary>Flips a byte in the middle of the AES-CBC body (SignalMessage field 4).</summary>
    public static Ciphertext FlipBodyByte(Ciphertext message)
    {
        var copy = (byte[])message.Bytes.Clone();
        var (inner, innerLength) = SignalMessageRange(message);
        var protobuf = copy.AsSpan(inner + 1, innerLength - 1 - MacLength);
        var (offset, length) = Protobuf.FindBytesField(protobuf, 4);
        copy[inner + 1 + offset + (length / 2)] ^= 0x01;
        return message with { Bytes = copy };
    }

    /// <summary>Flips the last byte of the (inner) SignalMessage's MAC.</summary>
    public static Ciphertext FlipMacByte(Ciphertext message)
    {
        var copy = (byte[])message.Bytes.Clone();
        var (inner, innerLength) = SignalMessageRange(message);
        copy[inner + innerLength - 1] ^= 0x01;
        return message with { Bytes = copy };
    }

    /// <summary>Flips a byte in the middle of a SenderKeyMessage's AES-CBC body (field 4), which its signature covers.</summary>
    public static byte[] FlipSenderKeyBodyByte(byte[] message)
    {
        var copy = (byte[])message.Clone();
        var protobuf = copy.AsSpan(1, copy.Length - 1 - SenderKeySignatureLength);
        var (offset, length) = Protobuf.FindBytesField(protobuf, 4);
        copy[1 + offset + (length / 2)] ^= 0x01;
        return copy;
    }

    /// <summary>Flips a byte in the middle of a SenderKeyMessage's trailing 64-byte XEdDSA signature.</summary>
    public static byte[] FlipSenderKeySignatureByte(byte[] message)
    {
        var copy = (byte[])message.Clone();
        copy[copy.Length - (SenderKeySignatureLength / 2)] ^= 0x01;
        return copy;
    }

    /// <summary>
    /// Flips a byte in the middle of one field of a sealed sender v1 message (0x11 ‖ protobuf {1 ephemeral public,
    /// 2 encrypted static, 3 encrypted message}).
    /// </summary>
    public static byte[] FlipSealedField(byte[] message, int field)
    {
        var copy = (byte[])message.Clone();
        var (offset, length) = Protobuf.FindBytesField(copy.AsSpan(1), field);
        copy[1 + offset + (length / 2)] ^= 0x01;
        return copy;
    }

    /// <summary>Where the SignalMessage (version byte, protobuf, MAC) sits: the whole of a type 2, field 4 of a type 3.</summary>
    private static (int Offset, int Length) SignalMessageRange(Ciphertext message)
    {
        if (message.Type == Ciphertext.Whisper)
        {
            return (0, message.Bytes.Length);
        }

        var (offset, length) = Protobuf.FindBytesField(message.Bytes.AsSpan(1), 4);
        return (offset + 1, length);
    }
}
