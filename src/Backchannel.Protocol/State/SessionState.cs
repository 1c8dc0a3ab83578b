using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// One Double Ratchet session state (FACTS §4.4–4.8): root key, the sending chain with our current ratchet key
/// pair, up to five receiving chains, the pending PreKey data of an initiator, and both identities. It owns no
/// protocol logic: <see cref="SessionCipher"/> and <see cref="SessionBuilder"/> drive it, always on a copy
/// that is stored only on success.
/// </summary>
internal sealed class SessionState
{
    [ThreadStatic]
    private static ProtoWriter? t_scratch;

    internal int Version { get; set; } = Constants.SessionVersion;

    internal required IdentityKey LocalIdentity { get; init; }

    internal required IdentityKey RemoteIdentity { get; init; }

    internal required byte[] RootKey { get; set; }

    internal uint PreviousCounter { get; set; }

    internal required ECKeyPair SenderRatchet { get; set; }

    internal required byte[] SenderChainKey { get; set; }

    internal uint SenderChainIndex { get; set; }

    internal ReceiverChains ReceiverChains { get; } = new();

    internal PendingPreKey? PendingPreKey { get; set; }

    internal uint LocalRegistrationId { get; set; }

    internal uint RemoteRegistrationId { get; set; }

    internal required byte[] AliceBaseKey { get; init; }

    internal ReceiverChain? FindReceiverChain(ECPublicKey ratchetKey) => FindReceiverChain(ratchetKey.Serialized);

    /// <summary>The receiving chain of a serialized ratchet key, compared without making a key object.</summary>
    internal ReceiverChain? FindReceiverChain(ReadOnlySpan<byte> ratchetKey) => ReceiverChains.Find(ratchetKey);

    internal ReceiverChain AddReceiverChain(ECPublicKey ratchetKey, byte[] chainKey)
    {
        var chain = new ReceiverChain(ratchetKey, chainKey, 0);
        ReceiverChains.Add(chain);
        return chain;
    }

    /// <summary>
    /// Writes the state as the nested message <paramref name="field"/> of a record. Its length is known only once
    /// written, so it goes through this thread's scratch writer first (wiped after each use: it holds secrets).
    /// </summary>
    internal void WriteTo(ProtoWriter w, int field)
    {
        var scratch = t_scratch ??= new ProtoWriter(1024);
        try
        {
            Serialize(scratch);
            w.WriteMessage(field, scratch);
        }
        finally
        {
            scratch.Clear();
        }
    }

    /// <summary>Writes the state's fields; its own nested messages are sized first and written in place.</summary>
    internal void Serialize(ProtoWriter w)
    {
        w.WriteUInt32(1, (uint)Version);
        w.WriteBytes(2, LocalIdentity.Serialized);
        w.WriteBytes(3, RemoteIdentity.Serialized);
        w.WriteBytes(4, RootKey);
        w.WriteUInt32(5, PreviousCounter);
        w.WriteBytes(6, SenderRatchet.PublicKey.Serialized);
        w.WriteBytes(7, SenderRatchet.PrivateKey.Raw);
        w.WriteBytes(8, SenderChainKey);
        w.WriteUInt32(9, SenderChainIndex);
        ReceiverChains.WriteTo(w, 10);
        if (PendingPreKey is { } p)
        {
            w.WriteMessageHeader(11, PendingSize(p));
            if (p.PreKeyId is { } id)
            {
                w.WriteUInt32(1, id);
            }
            w.WriteUInt32(2, p.SignedPreKeyId);
            w.WriteBytes(3, p.BaseKey.Serialized);
            w.WriteUInt32(4, p.KyberPreKeyId);
            w.WriteBytes(5, p.KyberCiphertext);
            w.WriteUInt64(6, (ulong)p.TimestampMs);
        }
        w.WriteUInt32(12, LocalRegistrationId);
        w.WriteUInt32(13, RemoteRegistrationId);
        w.WriteBytes(14, AliceBaseKey);
    }

    private static int PendingSize(PendingPreKey p) =>
        (p.PreKeyId is { } id ? ProtoSize.UInt32(1, id) : 0) + ProtoSize.UInt32(2, p.SignedPreKeyId)
        + ProtoSize.Bytes(3, p.BaseKey.Serialized.Length) + ProtoSize.UInt32(4, p.KyberPreKeyId)
        + ProtoSize.Bytes(5, p.KyberCiphertext.Length) + ProtoSize.UInt64(6, (ulong)p.TimestampMs);

    /// <summary>Builds a state from its record bytes; malformed bytes throw <see cref="InvalidMessageException"/>.</summary>
    internal static SessionState Deserialize(ReadOnlySpan<byte> bytes)
    {
        // Everything is checked before anything is built, and keys are made straight from slices of the bytes.
        var f = SessionStateFields.Read(bytes);
        var state = new SessionState
        {
            Version = (int)f.Version,
            LocalIdentity = IdentityKey.Deserialize(f.LocalIdentity),
            RemoteIdentity = IdentityKey.Deserialize(f.RemoteIdentity),
            RootKey = f.RootKey.ToArray(),
            PreviousCounter = f.PreviousCounter,
            SenderRatchet = new ECKeyPair(ECPublicKey.Deserialize(f.SenderPublicKey), ECPrivateKey.Deserialize(f.SenderPrivateKey)),
            SenderChainKey = f.SenderChainKey.ToArray(),
            SenderChainIndex = f.SenderChainIndex,
            PendingPreKey = f.HasPendingPreKey ? SessionStateFields.ReadPendingPreKey(f.PendingPreKey, build: true) : null,
            LocalRegistrationId = f.LocalRegistrationId,
            RemoteRegistrationId = f.RemoteRegistrationId,
            AliceBaseKey = f.AliceBaseKey.ToArray(),
        };
        var r = new ProtoReader(bytes);
        while (r.TryReadTag(out var field, out var wt))
        {
            if (field == 10)
            {
                state.ReceiverChains.AddSerialized(r.ReadBytesSpan(wt));
            }
            else
            {
                r.Skip(wt);
            }
        }
        return state;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SessionState);
}
