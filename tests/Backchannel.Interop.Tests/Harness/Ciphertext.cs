namespace Backchannel.Interop.Tests.Harness;

/// <summary>What <c>encrypt</c> returns: CiphertextMessageType (2 = SignalMessage, 3 = PreKeySignalMessage) and the bytes.</summary>
public sealed record Ciphertext(int Type, byte[] Bytes)
{
    public const int Whisper = 2;
    public const int PreKey = 3;

    public override string ToString() => $"type {Type}, {Bytes.Length} bytes";
}
