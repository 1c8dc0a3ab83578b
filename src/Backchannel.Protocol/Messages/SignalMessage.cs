using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Messages;

/// <summary>
/// A SignalMessage (type 2): version byte ‖ protobuf {1 ratchet_key, 2 counter, 3 previous_counter,
/// 4 ciphertext} ‖ 8-byte MAC (FACTS §4.6). Parsed once and kept with its raw bytes, because the MAC covers the
/// bytes as received, fields we do not understand included (pitfall P4). Field 5 (pq_ratchet, SPQR) is never
/// sent and is ignored on receipt; it is exposed as <see cref="PqRatchet"/> for the later SPQR extension.
/// </summary>
internal sealed class SignalMessage
{
    private readonly byte[] _serialized;

    private SignalMessage(byte[] serialized, int version, ECPublicKey ratchetKey, uint counter, uint previousCounter, byte[] ciphertext, byte[]? pqRatchet)
    {
        _serialized = serialized;
        Version = version;
        RatchetKey = ratchetKey;
        Counter = counter;
        PreviousCounter = previousCounter;
        Ciphertext = ciphertext;
        PqRatchet = pqRatchet;
    }

    internal int Version { get; }

    internal ECPublicKey RatchetKey { get; }

    internal uint Counter { get; }

    internal uint PreviousCounter { get; }

    internal byte[] Ciphertext { get; }

    /// <summary>SPQR extension point: the received pq_ratchet bytes, unused until SPQR is implemented.</summary>
    internal byte[]? PqRatchet { get; }

    internal ReadOnlySpan<byte> Serialized => _serialized;

    /// <summary>The serialized array itself, for handing to a <see cref="CiphertextMessage"/> without a copy; never mutated.</summary>
    internal byte[] SerializedArray => _serialized;

    internal static SignalMessage Create(
        ReadOnlySpan<byte> macKey, ECPublicKey ratchetKey, uint counter, uint previousCounter, byte[] ciphertext,
        IdentityKey sender, IdentityKey receiver)
    {
        var w = new ProtoWriter(ciphertext.Length + 64);
        w.WriteByte(Constants.MessageVersionByte);
        w.WriteBytes(1, ratchetKey.Serialized);
        w.WriteUInt32(2, counter);
        w.WriteUInt32(3, previousCounter);
        w.WriteBytes(4, ciphertext);
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(macKey, sender, receiver, w.WrittenSpan, mac);
        w.WriteRaw(mac[..Constants.MacLength]);
        return new SignalMessage(w.ToArray(), Constants.SessionVersion, ratchetKey, counter, previousCounter, ciphertext, null);
    }

    /// <summary>Parses untrusted bytes; only protocol exceptions come out.</summary>
    internal static SignalMessage Parse(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length < 1 + Constants.MacLength)
        {
            throw new InvalidMessageException("SignalMessage too short");
        }
        var version = MessageVersion.Check(serialized[0]);
        var reader = new ProtoReader(serialized[1..^Constants.MacLength]);
        byte[]? ratchetKey = null, ciphertext = null, pq = null;
        uint? counter = null;
        uint previous = 0;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: ratchetKey = reader.ReadBytes(wire); break;
                case 2: counter = reader.ReadUInt32(wire); break;
                case 3: previous = reader.ReadUInt32(wire); break;
                case 4: ciphertext = reader.ReadBytes(wire); break;
                case 5: pq = reader.ReadBytes(wire); break;
                default: reader.Skip(wire); break;
            }
        }
        if (ratchetKey is null || counter is null || ciphertext is null)
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
        return new SignalMessage(serialized.ToArray(), version, key, counter.Value, previous, ciphertext, pq);
    }

    /// <summary>Checks the truncated MAC in constant time, over the bytes as received.</summary>
    internal bool VerifyMac(IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> macKey)
    {
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(macKey, sender, receiver, _serialized.AsSpan(0, _serialized.Length - Constants.MacLength), mac);
        return CryptographicOperations.FixedTimeEquals(mac[..Constants.MacLength], _serialized.AsSpan(_serialized.Length - Constants.MacLength));
    }

    // MAC input: sender identity ‖ receiver identity ‖ version byte ‖ protobuf (FACTS §4.6, pitfall P4).
    private static void ComputeMac(ReadOnlySpan<byte> macKey, IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> message, Span<byte> output)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
        hmac.AppendData(sender.Serialized);
        hmac.AppendData(receiver.Serialized);
        hmac.AppendData(message);
        hmac.GetHashAndReset(output);
    }
}
