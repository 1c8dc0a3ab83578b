using System.Buffers;
using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Messages;

/// <summary>
/// A SignalMessage (type 2): version byte ‖ protobuf {1 ratchet_key, 2 counter, 3 previous_counter,
/// 4 ciphertext} ‖ 8-byte MAC (FACTS §4.6). Parsed once and kept with its raw bytes, because the MAC covers the
/// bytes as received, fields we do not understand included (pitfall P4); the ciphertext is a slice of those
/// bytes, not a copy. Field 5 (pq_ratchet, SPQR) is never sent and is ignored on receipt; it is exposed as
/// <see cref="PqRatchet"/> for the later SPQR extension.
/// </summary>
internal sealed class SignalMessage
{
    private readonly byte[] _serialized;
    private readonly int _ciphertextOffset;
    private readonly int _ciphertextLength;

    private SignalMessage(byte[] serialized, int version, ECPublicKey ratchetKey, uint counter, uint previousCounter,
        int ciphertextOffset, int ciphertextLength, byte[]? pqRatchet)
    {
        _serialized = serialized;
        Version = version;
        RatchetKey = ratchetKey;
        Counter = counter;
        PreviousCounter = previousCounter;
        _ciphertextOffset = ciphertextOffset;
        _ciphertextLength = ciphertextLength;
        PqRatchet = pqRatchet;
    }

    internal int Version { get; }

    internal ECPublicKey RatchetKey { get; }

    internal uint Counter { get; }

    internal uint PreviousCounter { get; }

    internal ReadOnlySpan<byte> Ciphertext => _serialized.AsSpan(_ciphertextOffset, _ciphertextLength);

    /// <summary>SPQR extension point: the received pq_ratchet bytes, unused until SPQR is implemented.</summary>
    internal byte[]? PqRatchet { get; }

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>The serialized array itself, for handing to a <see cref="CiphertextMessage"/> without a copy; never mutated.</summary>
    internal byte[] SerializedArray => _serialized;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> with AES-256-CBC straight into the message's final array and MACs it:
    /// the only allocation is the message itself.
    /// </summary>
    internal static SignalMessage Encrypt(
        ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey, ECPublicKey ratchetKey, uint counter,
        uint previousCounter, ReadOnlySpan<byte> plaintext, IdentityKey sender, IdentityKey receiver)
    {
        var ciphertextLength = AesCbc.CiphertextLength(plaintext.Length);
        var body = ProtoSize.Bytes(1, ECPublicKey.SerializedLength) + ProtoSize.UInt32(2, counter)
            + ProtoSize.UInt32(3, previousCounter) + ProtoSize.Bytes(4, ciphertextLength);
        var serialized = new byte[1 + body + Constants.MacLength];
        var w = new ProtoSpanWriter(serialized);
        w.WriteByte(Constants.MessageVersionByte);
        w.WriteBytes(1, ratchetKey.Serialized);
        w.WriteUInt32(2, counter);
        w.WriteUInt32(3, previousCounter);
        var ciphertext = w.ReserveBytes(4, ciphertextLength);
        var ciphertextOffset = w.Length - ciphertextLength;
        AesCbc.Encrypt(cipherKey, iv, plaintext, ciphertext);
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(macKey, sender, receiver, w.WrittenSpan, mac);
        mac[..Constants.MacLength].CopyTo(w.Reserve(Constants.MacLength));
        return new SignalMessage(serialized, Constants.SessionVersion, ratchetKey, counter, previousCounter, ciphertextOffset,
            ciphertextLength, null);
    }

    /// <summary>Parses untrusted bytes; only protocol exceptions come out.</summary>
    internal static SignalMessage Parse(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length < 1 + Constants.MacLength)
        {
            throw new InvalidMessageException("SignalMessage too short");
        }
        var version = MessageVersion.Check(serialized[0]);
        // One copy of the bytes; the fields below are read from it and the ciphertext stays a slice of it.
        var bytes = serialized.ToArray();
        var reader = new ProtoReader(bytes.AsSpan(1, bytes.Length - 1 - Constants.MacLength));
        ReadOnlySpan<byte> ratchetKey = default;
        var hasRatchetKey = false;
        byte[]? pq = null;
        uint? counter = null;
        uint previous = 0;
        int ciphertextOffset = -1, ciphertextLength = 0;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1:
                    ratchetKey = reader.ReadBytesSpan(wire);
                    hasRatchetKey = true;
                    break;
                case 2: counter = reader.ReadUInt32(wire); break;
                case 3: previous = reader.ReadUInt32(wire); break;
                case 4:
                    ciphertextLength = reader.ReadBytesSpan(wire).Length;
                    ciphertextOffset = 1 + reader.Position - ciphertextLength;
                    break;
                case 5: pq = reader.ReadBytes(wire); break;
                default: reader.Skip(wire); break;
            }
        }
        if (!hasRatchetKey || counter is null || ciphertextOffset < 0)
        {
            throw new InvalidMessageException("incomplete SignalMessage");
        }
        ECPublicKey key;
        try
        {
            key = ECPublicKey.Deserialize(ratchetKey);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid ratchet key in SignalMessage");
        }
        return new SignalMessage(bytes, version, key, counter.Value, previous, ciphertextOffset, ciphertextLength, pq);
    }

    /// <summary>Checks the truncated MAC in constant time, over the bytes as received.</summary>
    internal bool VerifyMac(IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> macKey)
    {
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(macKey, sender, receiver, _serialized.AsSpan(0, _serialized.Length - Constants.MacLength), mac);
        return CryptographicOperations.FixedTimeEquals(mac[..Constants.MacLength], _serialized.AsSpan(_serialized.Length - Constants.MacLength));
    }

    // MAC input: sender identity ‖ receiver identity ‖ version byte ‖ protobuf (FACTS §4.6, pitfall P4). The one-shot
    // HMAC needs it contiguous: a pooled buffer holds the concatenation (public bytes only, so nothing to wipe).
    private static void ComputeMac(ReadOnlySpan<byte> macKey, IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> message, Span<byte> output)
    {
        var length = sender.Serialized.Length + receiver.Serialized.Length + message.Length;
        var input = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            sender.Serialized.CopyTo(input);
            receiver.Serialized.CopyTo(input.AsSpan(sender.Serialized.Length));
            message.CopyTo(input.AsSpan(sender.Serialized.Length + receiver.Serialized.Length));
            HMACSHA256.HashData(macKey, input.AsSpan(0, length), output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
