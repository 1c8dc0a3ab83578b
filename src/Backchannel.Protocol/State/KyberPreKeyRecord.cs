using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol;

/// <summary>
/// A Kyber1024 prekey, one-time or last-resort (the store knows which); its signature is over the serialized
/// public key 0x08 ‖ 1568 (FACTS §4.3).
/// </summary>
public sealed class KyberPreKeyRecord : IDisposable
{
    /// <summary>Creates a record.</summary>
    public KyberPreKeyRecord(uint id, long timestamp, KyberKeyPair keyPair, byte[] signature)
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
    public KyberKeyPair KeyPair { get; }

    /// <summary>XEdDSA signature by the identity key over the serialized public key.</summary>
    public byte[] Signature { get; }

    /// <summary>The serialized public key (1569 bytes).</summary>
    public byte[] PublicKey => KeyPair.PublicKey.Serialize();

    /// <summary>Our versioned record bytes (they hold the secret key).</summary>
    public byte[] Serialize()
    {
        var w = RecordFormat.Begin(4900);
        w.WriteUInt32(1, Id);
        w.WriteBytes(2, KeyPair.PublicKey.Serialized);
        var secret = KeyPair.SerializeSecretKey();
        w.WriteBytes(3, secret);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        w.WriteBytes(4, Signature);
        w.WriteUInt64(5, (ulong)Timestamp);
        var bytes = w.ToArray();
        w.Clear();
        return bytes;
    }

    /// <summary>Parses record bytes written by <see cref="Serialize"/>.</summary>
    public static KyberPreKeyRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(RecordFormat.Open(bytes, "Kyber prekey"));
        uint id = 0;
        ulong ts = 0;
        byte[]? pub = null, secret = null, sig = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: id = r.ReadUInt32(wt); break;
                case 2: pub = r.ReadBytes(wt); break;
                case 3: secret = r.ReadBytes(wt); break;
                case 4: sig = r.ReadBytes(wt); break;
                case 5: ts = r.ReadUInt64(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (pub is null || secret is null || sig is null)
        {
            throw new InvalidMessageException("incomplete Kyber prekey record");
        }
        var pair = KyberKeyPair.FromSerialized(pub, secret);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        return new KyberPreKeyRecord(id, (long)ts, pair, sig);
    }

    /// <inheritdoc />
    public void Dispose() => KeyPair.Dispose();

    /// <inheritdoc />
    public override string ToString() => nameof(KyberPreKeyRecord);
}
