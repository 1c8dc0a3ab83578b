using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol;

/// <summary>The medium-term signed prekey; its signature is over the serialized public key 0x05 ‖ 32 (FACTS §4.3).</summary>
public sealed class SignedPreKeyRecord : IDisposable
{
    /// <summary>Creates a record.</summary>
    public SignedPreKeyRecord(uint id, long timestamp, ECKeyPair keyPair, byte[] signature)
    {
        Id = id;
        Timestamp = timestamp;
        KeyPair = keyPair;
        Signature = signature;
    }

    /// <summary>The prekey id.</summary>
    public uint Id { get; }

    /// <summary>Creation time, milliseconds since the epoch.</summary>
    public long Timestamp { get; }

    /// <summary>The key pair.</summary>
    public ECKeyPair KeyPair { get; }

    /// <summary>XEdDSA signature by the identity key over the serialized public key.</summary>
    public byte[] Signature { get; }

    /// <summary>The serialized public key (33 bytes).</summary>
    public byte[] PublicKey => KeyPair.PublicKey.Serialize();

    /// <summary>Our versioned record bytes (they hold the private key).</summary>
    public byte[] Serialize()
    {
        var w = RecordFormat.Begin(160);
        w.WriteUInt32(1, Id);
        w.WriteBytes(2, KeyPair.PublicKey.Serialized);
        w.WriteBytes(3, KeyPair.PrivateKey.Raw);
        w.WriteBytes(4, Signature);
        w.WriteUInt64(5, (ulong)Timestamp);
        var bytes = w.ToArray();
        w.Clear();
        return bytes;
    }

    /// <summary>Parses record bytes written by <see cref="Serialize"/>.</summary>
    public static SignedPreKeyRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(RecordFormat.Open(bytes, "signed prekey"));
        uint id = 0;
        ulong ts = 0;
        byte[]? pub = null, priv = null, sig = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: id = r.ReadUInt32(wt); break;
                case 2: pub = r.ReadBytes(wt); break;
                case 3: priv = r.ReadBytes(wt); break;
                case 4: sig = r.ReadBytes(wt); break;
                case 5: ts = r.ReadUInt64(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (pub is null || priv is null || sig is null)
        {
            throw new InvalidMessageException("incomplete signed prekey record");
        }
        return new SignedPreKeyRecord(id, (long)ts, new ECKeyPair(ECPublicKey.Deserialize(pub), ECPrivateKey.Deserialize(priv)), sig);
    }

    /// <inheritdoc />
    public void Dispose() => KeyPair.Dispose();

    /// <inheritdoc />
    public override string ToString() => nameof(SignedPreKeyRecord);
}
