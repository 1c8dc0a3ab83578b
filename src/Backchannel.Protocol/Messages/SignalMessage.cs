using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Messages;

/// <summary>
/// A SignalMessage (type 2): version byte ‖ protobuf {1 ratchet_key, 2 counter, 3 previous_counter,
/// 4 ciphertext} ‖ 8-byte MAC (FACTS §4.6), owning its bytes. Parsed once and kept with its raw bytes, because
/// the MAC covers the bytes as received, fields we do not understand included (pitfall P4); decryption reads
/// them through <see cref="View"/>. Field 5 (pq_ratchet, SPQR) is never sent and is ignored on receipt; it is
/// exposed as <see cref="PqRatchet"/> for the later SPQR extension.
/// </summary>
internal sealed class SignalMessage
{
    private readonly byte[] _serialized;

    private SignalMessage(byte[] serialized, int version, uint counter, uint previousCounter, byte[]? pqRatchet)
    {
        _serialized = serialized;
        Version = version;
        Counter = counter;
        PreviousCounter = previousCounter;
        PqRatchet = pqRatchet;
    }

    internal int Version { get; }

    /// <summary>The sender's ratchet key, serialized (0x05 ‖ 32 bytes): a slice of the message.</summary>
    internal ReadOnlySpan<byte> RatchetKey => View.RatchetKey;

    internal uint Counter { get; }

    internal uint PreviousCounter { get; }

    /// <summary>SPQR extension point: the received pq_ratchet bytes, unused until SPQR is implemented.</summary>
    internal byte[]? PqRatchet { get; }

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>The serialized array itself, for handing to a <see cref="CiphertextMessage"/> without a copy; never mutated.</summary>
    internal byte[] SerializedArray => _serialized;

    /// <summary>The message's fields as slices of its bytes (parsed once more: they were checked when this was made).</summary>
    internal SignalMessageView View => SignalMessageView.Parse(_serialized);

    /// <summary>Wraps bytes made by <see cref="EncryptSerialized"/> with the same counters (nothing is parsed again).</summary>
    internal static SignalMessage FromEncrypted(byte[] serialized, uint counter, uint previousCounter) =>
        new(serialized, Constants.SessionVersion, counter, previousCounter, null);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> with AES-256-CBC straight into the message's final array and MACs it:
    /// the only allocation is that array, which is returned (a SignalMessage needs no object around it).
    /// </summary>
    internal static byte[] EncryptSerialized(
        ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> ratchetKey, uint counter,
        uint previousCounter, ReadOnlySpan<byte> plaintext, IdentityKey sender, IdentityKey receiver)
    {
        var ciphertextLength = AesCbc.CiphertextLength(plaintext.Length);
        var body = ProtoSize.Bytes(1, ECPublicKey.SerializedLength) + ProtoSize.UInt32(2, counter)
            + ProtoSize.UInt32(3, previousCounter) + ProtoSize.Bytes(4, ciphertextLength);
        var serialized = new byte[1 + body + Constants.MacLength];
        var w = new ProtoSpanWriter(serialized);
        w.WriteByte(Constants.MessageVersionByte);
        w.WriteBytes(1, ratchetKey);
        w.WriteUInt32(2, counter);
        w.WriteUInt32(3, previousCounter);
        AesCbc.Encrypt(cipherKey, iv, plaintext, w.ReserveBytes(4, ciphertextLength));
        Span<byte> mac = stackalloc byte[32];
        SignalMessageView.ComputeMac(macKey, sender, receiver, w.WrittenSpan, mac);
        mac[..Constants.MacLength].CopyTo(w.Reserve(Constants.MacLength));
        return serialized;
    }

    /// <summary>Parses untrusted bytes into a copy it owns; only protocol exceptions come out.</summary>
    internal static SignalMessage Parse(ReadOnlySpan<byte> serialized)
    {
        var bytes = serialized.ToArray();
        var view = SignalMessageView.Parse(bytes);
        return new SignalMessage(bytes, view.Version, view.Counter, view.PreviousCounter,
            view.HasPqRatchet ? view.PqRatchet.ToArray() : null);
    }
}
