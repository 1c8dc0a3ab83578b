using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol;

/// <summary>A one-time Curve25519 prekey: handed out once, deleted after its first use.</summary>
public sealed class PreKeyRecord : IDisposable
{
    /// <summary>Creates a record.</summary>
    public PreKeyRecord(uint id, ECKeyPair keyPair)
    {
        Id = id;
        KeyPair = keyPair;
    }

    /// <summary>The prekey id.</summary>
    public uint Id { get; }

    /// <summary>The key pair.</summary>
    public ECKeyPair KeyPair { get; }

    /// <summary>The serialized public key (33 bytes).</summary>
    public byte[] PublicKey => KeyPair.PublicKey.Serialize();

    /// <summary>Our versioned record bytes (they hold the private key).</summary>
    public byte[] Serialize()
    {
        var w = RecordFormat.Begin(80);
        w.WriteUInt32(1, Id);
        w.WriteBytes(2, KeyPair.PublicKey.Serialized);
        w.WriteBytes(3, KeyPair.PrivateKey.Raw);
        var bytes = w.ToArray();
        w.Clear();
        return bytes;
    }

    /// <summary>Parses record bytes written by <see cref="Serialize"/>.</summary>
    public static PreKeyRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(RecordFormat.Open(bytes, "prekey"));
        uint id = 0;
        byte[]? pub = null, priv = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: id = r.ReadUInt32(wt); break;
                case 2: pub = r.ReadBytes(wt); break;
                case 3: priv = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (pub is null || priv is null)
        {
            throw new InvalidMessageException("incomplete prekey record");
        }
        return new PreKeyRecord(id, new ECKeyPair(ECPublicKey.Deserialize(pub), ECPrivateKey.Deserialize(priv)));
    }

    /// <inheritdoc />
    public void Dispose() => KeyPair.Dispose();

    /// <inheritdoc />
    public override string ToString() => nameof(PreKeyRecord);
}
