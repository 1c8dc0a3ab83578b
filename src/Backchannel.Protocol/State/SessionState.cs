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
    internal int Version { get; set; } = Constants.SessionVersion;

    internal required IdentityKey LocalIdentity { get; init; }

    internal required IdentityKey RemoteIdentity { get; init; }

    internal required byte[] RootKey { get; set; }

    internal uint PreviousCounter { get; set; }

    internal required ECKeyPair SenderRatchet { get; set; }

    internal required byte[] SenderChainKey { get; set; }

    internal uint SenderChainIndex { get; set; }

    internal List<ReceiverChain> ReceiverChains { get; } = [];

    internal PendingPreKey? PendingPreKey { get; set; }

    internal uint LocalRegistrationId { get; set; }

    internal uint RemoteRegistrationId { get; set; }

    internal required byte[] AliceBaseKey { get; init; }

    internal ReceiverChain? FindReceiverChain(ECPublicKey ratchetKey)
    {
        foreach (var chain in ReceiverChains)
        {
            if (chain.RatchetKey.Equals(ratchetKey))
            {
                return chain;
            }
        }
        return null;
    }

    internal ReceiverChain AddReceiverChain(ECPublicKey ratchetKey, byte[] chainKey)
    {
        var chain = new ReceiverChain(ratchetKey, chainKey, 0);
        ReceiverChains.Add(chain);
        if (ReceiverChains.Count > Constants.MaxReceiverChains)
        {
            ReceiverChains.RemoveAt(0);
        }
        return chain;
    }

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
        foreach (var chain in ReceiverChains)
        {
            var c = new ProtoWriter(80 + chain.SkippedSeeds.Count * 40);
            c.WriteBytes(1, chain.RatchetKey.Serialized);
            c.WriteBytes(2, chain.ChainKey);
            c.WriteUInt32(3, chain.Index);
            foreach (var (index, seed) in chain.SkippedSeeds)
            {
                var k = new ProtoWriter(40);
                k.WriteUInt32(1, index);
                k.WriteBytes(2, seed);
                c.WriteMessage(4, k);
                k.Clear();
            }
            w.WriteMessage(10, c);
            c.Clear();
        }
        if (PendingPreKey is { } p)
        {
            var pw = new ProtoWriter(1700);
            if (p.PreKeyId is { } id)
            {
                pw.WriteUInt32(1, id);
            }
            pw.WriteUInt32(2, p.SignedPreKeyId);
            pw.WriteBytes(3, p.BaseKey.Serialized);
            pw.WriteUInt32(4, p.KyberPreKeyId);
            pw.WriteBytes(5, p.KyberCiphertext);
            pw.WriteUInt64(6, (ulong)p.TimestampMs);
            w.WriteMessage(11, pw);
        }
        w.WriteUInt32(12, LocalRegistrationId);
        w.WriteUInt32(13, RemoteRegistrationId);
        w.WriteBytes(14, AliceBaseKey);
    }

    internal static SessionState Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        uint version = 0, previousCounter = 0, senderIndex = 0, localReg = 0, remoteReg = 0;
        byte[]? local = null, remote = null, root = null, senderPub = null, senderPriv = null, senderChain = null, aliceBase = null;
        var chains = new List<ReceiverChain>();
        PendingPreKey? pending = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: version = r.ReadUInt32(wt); break;
                case 2: local = r.ReadBytes(wt); break;
                case 3: remote = r.ReadBytes(wt); break;
                case 4: root = r.ReadBytes(wt); break;
                case 5: previousCounter = r.ReadUInt32(wt); break;
                case 6: senderPub = r.ReadBytes(wt); break;
                case 7: senderPriv = r.ReadBytes(wt); break;
                case 8: senderChain = r.ReadBytes(wt); break;
                case 9: senderIndex = r.ReadUInt32(wt); break;
                case 10: chains.Add(ReadChain(r.ReadBytesSpan(wt))); break;
                case 11: pending = ReadPending(r.ReadBytesSpan(wt)); break;
                case 12: localReg = r.ReadUInt32(wt); break;
                case 13: remoteReg = r.ReadUInt32(wt); break;
                case 14: aliceBase = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (local is null || remote is null || root is null || senderPub is null || senderPriv is null || senderChain is null || aliceBase is null
            || root.Length != 32 || senderChain.Length != 32 || chains.Count > Constants.MaxReceiverChains)
        {
            throw new InvalidMessageException("incomplete session state");
        }
        var state = new SessionState
        {
            Version = (int)version,
            LocalIdentity = ParseKey(local, b => IdentityKey.Deserialize(b)),
            RemoteIdentity = ParseKey(remote, b => IdentityKey.Deserialize(b)),
            RootKey = root,
            PreviousCounter = previousCounter,
            SenderRatchet = new ECKeyPair(ParseKey(senderPub, b => ECPublicKey.Deserialize(b)), ParseKey(senderPriv, b => ECPrivateKey.Deserialize(b))),
            SenderChainKey = senderChain,
            SenderChainIndex = senderIndex,
            PendingPreKey = pending,
            LocalRegistrationId = localReg,
            RemoteRegistrationId = remoteReg,
            AliceBaseKey = aliceBase,
        };
        state.ReceiverChains.AddRange(chains);
        return state;
    }

    private static ReceiverChain ReadChain(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        byte[]? key = null, chainKey = null;
        uint index = 0;
        var skipped = new List<(uint, byte[])>();
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: key = r.ReadBytes(wt); break;
                case 2: chainKey = r.ReadBytes(wt); break;
                case 3: index = r.ReadUInt32(wt); break;
                case 4: skipped.Add(ReadSkipped(r.ReadBytesSpan(wt))); break;
                default: r.Skip(wt); break;
            }
        }
        if (key is null || chainKey is null || chainKey.Length != 32 || skipped.Count > Constants.MaxMessageKeys)
        {
            throw new InvalidMessageException("incomplete receiver chain");
        }
        var chain = new ReceiverChain(ParseKey(key, b => ECPublicKey.Deserialize(b)), chainKey, index);
        chain.SkippedSeeds.AddRange(skipped);
        return chain;
    }

    private static (uint, byte[]) ReadSkipped(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        uint index = 0;
        byte[]? seed = null;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: index = r.ReadUInt32(wt); break;
                case 2: seed = r.ReadBytes(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (seed is null || seed.Length != 32)
        {
            throw new InvalidMessageException("incomplete skipped message key");
        }
        return (index, seed);
    }

    private static PendingPreKey ReadPending(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        uint? preKeyId = null;
        uint signed = 0, kyber = 0;
        byte[]? baseKey = null, ct = null;
        ulong ts = 0;
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: preKeyId = r.ReadUInt32(wt); break;
                case 2: signed = r.ReadUInt32(wt); break;
                case 3: baseKey = r.ReadBytes(wt); break;
                case 4: kyber = r.ReadUInt32(wt); break;
                case 5: ct = r.ReadBytes(wt); break;
                case 6: ts = r.ReadUInt64(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (baseKey is null || ct is null)
        {
            throw new InvalidMessageException("incomplete pending prekey");
        }
        return new PendingPreKey(preKeyId, signed, ParseKey(baseKey, b => ECPublicKey.Deserialize(b)), kyber, ct, (long)ts);
    }

    private static T ParseKey<T>(byte[] bytes, Func<byte[], T> parse)
    {
        try
        {
            return parse(bytes);
        }
        catch (InvalidKeyException)
        {
            throw new InvalidMessageException("invalid key in session record");
        }
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SessionState);
}
