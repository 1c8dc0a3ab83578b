namespace Backchannel.Protocol;

/// <summary>Protocol limits and labels, each with where its value comes from.</summary>
internal static class Constants
{
    /// <summary>Session version of PQXDH sessions; the message version byte is (4 &lt;&lt; 4) | 4 (LIBSIGNAL-FACTS.md §4.4, §4.6).</summary>
    internal const int SessionVersion = 4;

    /// <summary>The version byte of SignalMessage and PreKeySignalMessage for version-4 sessions.</summary>
    internal const byte MessageVersionByte = (SessionVersion << 4) | SessionVersion;

    /// <summary>Largest accepted gap between a chain's next index and a counter (libsignal consts.rs, FACTS §4.7).</summary>
    internal const int MaxForwardJumps = 25_000;

    /// <summary>Skipped message keys kept per receiving chain, oldest dropped (FACTS §4.7).</summary>
    internal const int MaxMessageKeys = 2_000;

    /// <summary>Receiving chains kept per session state, oldest dropped (FACTS §4.7).</summary>
    internal const int MaxReceiverChains = 5;

    /// <summary>Previous session states kept per record (FACTS §4.7, §4.8).</summary>
    internal const int ArchivedStatesMaxLength = 40;

    /// <summary>A pending PreKey session stops being used for sending after this age (FACTS §4.6).</summary>
    internal static readonly TimeSpan MaxUnacknowledgedSessionAge = TimeSpan.FromDays(30);

    /// <summary>Length of the truncated HMAC-SHA256 that ends a SignalMessage (FACTS §4.6).</summary>
    internal const int MacLength = 8;

    /// <summary>PQXDH KDF info: PQXDH spec rev 2 §3.3 with libsignal's curve/hash/KEM names (FACTS §4.4).</summary>
    internal static ReadOnlySpan<byte> PqxdhInfo => "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024"u8;

    /// <summary>KDF_RK info (Double Ratchet spec §5.2 realised by libsignal, FACTS §4.5).</summary>
    internal static ReadOnlySpan<byte> RatchetInfo => "WhisperRatchet"u8;

    /// <summary>Message-key HKDF info (FACTS §4.5).</summary>
    internal static ReadOnlySpan<byte> MessageKeysInfo => "WhisperMessageKeys"u8;

    /// <summary>Sender-key message-key HKDF info (FACTS §4.10).</summary>
    internal static ReadOnlySpan<byte> GroupInfo => "WhisperGroup"u8;

    /// <summary>Sender-key states kept per (sender, distribution id), oldest dropped (libsignal consts.rs, FACTS §4.7).</summary>
    internal const int MaxSenderKeyStates = 5;

    /// <summary>Version of sender-key messages; the version byte is (3 &lt;&lt; 4) | 3 = 0x33 (FACTS §4.10).</summary>
    internal const int SenderKeyVersion = 3;

    /// <summary>The version byte of SenderKeyMessage and SenderKeyDistributionMessage.</summary>
    internal const byte SenderKeyVersionByte = (SenderKeyVersion << 4) | SenderKeyVersion;
}
