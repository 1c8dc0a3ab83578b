namespace Backchannel.Interop.Tests.Harness;

/// <summary>Copies of messages with one byte flipped at a chosen place (LIBSIGNAL-FACTS §4.6 layouts).</summary>
internal static class Tamper
{
    private const int MacLength = 8;

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
