namespace Backchannel.Protocol;

/// <summary>An encrypted message ready to send: its type (FACTS §4.6) and its bytes.</summary>
public sealed class CiphertextMessage
{
    /// <summary>SignalMessage ("Whisper").</summary>
    public const int WhisperType = 2;

    /// <summary>PreKeySignalMessage.</summary>
    public const int PreKeyType = 3;

    /// <summary>SenderKeyMessage.</summary>
    public const int SenderKeyType = 7;

    /// <summary>PlaintextContent.</summary>
    public const int PlaintextType = 8;

    private readonly byte[] _bytes;

    internal CiphertextMessage(int type, byte[] bytes)
    {
        Type = type;
        _bytes = bytes;
    }

    /// <summary>The message type: 2 (SignalMessage) or 3 (PreKeySignalMessage) for 1:1 sessions.</summary>
    public int Type { get; }

    /// <summary>The wire bytes.</summary>
    public byte[] Serialize() => (byte[])_bytes.Clone();

    /// <summary>The wire bytes themselves, for wrapping inside this library without a copy; never mutated.</summary>
    internal byte[] SerializedArray => _bytes;

    /// <inheritdoc />
    public override string ToString() => $"{nameof(CiphertextMessage)}(type {Type}, {_bytes.Length} bytes)";
}
