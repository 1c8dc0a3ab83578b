using System.Buffers;
using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Messages;

/// <summary>
/// A parsed SignalMessage over bytes it does not own: every field is a slice of them. Decrypting a received
/// message reads the caller's bytes through this, so the message is never copied; <see cref="SignalMessage"/>
/// owns a copy where a message must outlive the call (inside a PreKeySignalMessage, or one we create).
/// </summary>
internal readonly ref struct SignalMessageView
{
    private SignalMessageView(ReadOnlySpan<byte> serialized, int version, ReadOnlySpan<byte> ratchetKey, uint counter,
        uint previousCounter, ReadOnlySpan<byte> ciphertext, bool hasPqRatchet, ReadOnlySpan<byte> pqRatchet)
    {
        Serialized = serialized;
        Version = version;
        RatchetKey = ratchetKey;
        Counter = counter;
        PreviousCounter = previousCounter;
        Ciphertext = ciphertext;
        HasPqRatchet = hasPqRatchet;
        PqRatchet = pqRatchet;
    }

    internal ReadOnlySpan<byte> Serialized { get; }

    internal int Version { get; }

    /// <summary>The sender's ratchet key, serialized (0x05 ‖ 32 bytes, checked by <see cref="Parse"/>).</summary>
    internal ReadOnlySpan<byte> RatchetKey { get; }

    internal uint Counter { get; }

    internal uint PreviousCounter { get; }

    internal ReadOnlySpan<byte> Ciphertext { get; }

    /// <summary>SPQR extension point: whether field 5 (pq_ratchet) was present, and its bytes.</summary>
    internal bool HasPqRatchet { get; }

    internal ReadOnlySpan<byte> PqRatchet { get; }

    /// <summary>Parses untrusted bytes; only protocol exceptions come out.</summary>
    internal static SignalMessageView Parse(ReadOnlySpan<byte> serialized)
    {
        if (serialized.Length < 1 + Constants.MacLength)
        {
            throw new InvalidMessageException("SignalMessage too short");
        }
        var version = MessageVersion.Check(serialized[0]);
        var reader = new ProtoReader(serialized[1..^Constants.MacLength]);
        ReadOnlySpan<byte> ratchetKey = default, ciphertext = default, pq = default;
        bool hasRatchetKey = false, hasCiphertext = false, hasPq = false;
        uint? counter = null;
        uint previous = 0;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field)
            {
                case 1: ratchetKey = reader.ReadBytesSpan(wire); hasRatchetKey = true; break;
                case 2: counter = reader.ReadUInt32(wire); break;
                case 3: previous = reader.ReadUInt32(wire); break;
                case 4: ciphertext = reader.ReadBytesSpan(wire); hasCiphertext = true; break;
                case 5: pq = reader.ReadBytesSpan(wire); hasPq = true; break;
                default: reader.Skip(wire); break;
            }
        }
        if (!hasRatchetKey || counter is null || !hasCiphertext)
        {
            throw new InvalidMessageException("incomplete SignalMessage");
        }
        // What ECPublicKey.Deserialize accepts, checked without making one: most messages never need the object.
        if (ratchetKey.Length != ECPublicKey.SerializedLength || ratchetKey[0] != ECPublicKey.DjbType)
        {
            throw new InvalidMessageException("invalid ratchet key in SignalMessage");
        }
        return new SignalMessageView(serialized, version, ratchetKey, counter.Value, previous, ciphertext, hasPq, pq);
    }

    /// <summary>Checks the truncated MAC in constant time, over the bytes as received.</summary>
    internal bool VerifyMac(IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> macKey)
    {
        Span<byte> mac = stackalloc byte[32];
        ComputeMac(macKey, sender, receiver, Serialized[..^Constants.MacLength], mac);
        return CryptographicOperations.FixedTimeEquals(mac[..Constants.MacLength], Serialized[^Constants.MacLength..]);
    }

    // MAC input: sender identity ‖ receiver identity ‖ version byte ‖ protobuf (FACTS §4.6, pitfall P4).
    internal static void ComputeMac(ReadOnlySpan<byte> macKey, IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> message, Span<byte> output)
    {
        if (OpenSsl.IsAvailable)
        {
            OpenSsl.HmacSha256(macKey, sender.Serialized, receiver.Serialized, message, output);
        }
        else
        {
            ComputeMacDotNet(macKey, sender, receiver, message, output);
        }
    }

    // .NET's one-shot HMAC needs the input contiguous: a pooled buffer holds the concatenation (public bytes only, so
    // nothing to wipe). Tests compare it with the direct OpenSSL path.
    internal static void ComputeMacDotNet(ReadOnlySpan<byte> macKey, IdentityKey sender, IdentityKey receiver, ReadOnlySpan<byte> message, Span<byte> output)
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
