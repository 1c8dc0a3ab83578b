using System.Security.Cryptography;
using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.State;

/// <summary>
/// One Double Ratchet session state (FACTS §4.4–4.8): root key, the sending chain with our current ratchet key
/// pair, up to five receiving chains, the pending PreKey data of an initiator, and both identities. It owns no
/// protocol logic: <see cref="SessionCipher"/> and <see cref="SessionBuilder"/> drive it, always on a copy
/// that is stored only on success.
/// </summary>
/// <remarks>
/// A state owns its key arrays, which change in place. A record loads one for every message, so the states of
/// disposed records go back to a small per-thread pool (<see cref="Return"/>, which wipes them) and the next
/// load overwrites the same arrays: a load then allocates nothing here. A state of a record never disposed is
/// simply collected.
/// </remarks>
internal sealed class SessionState
{
    // A few per thread: a message needs one or two records at a time.
    private const int PoolSize = 8;

    [ThreadStatic]
    private static ProtoWriter? t_scratch;

    [ThreadStatic]
    private static Stack<SessionState>? t_pool;

    // True while in the pool, so a state cannot be returned twice.
    private bool _pooled;

    internal int Version { get; set; } = Constants.SessionVersion;

    internal required IdentityKey LocalIdentity { get; set; }

    internal required IdentityKey RemoteIdentity { get; set; }

    internal required byte[] RootKey { get; set; }

    internal uint PreviousCounter { get; set; }

    /// <summary>Our current ratchet public key, serialized (0x05 ‖ 32 bytes).</summary>
    internal required byte[] SenderRatchetKey { get; set; }

    /// <summary>Our current ratchet private key, 32 clamped bytes.</summary>
    internal required byte[] SenderRatchetPrivateKey { get; set; }

    internal required byte[] SenderChainKey { get; set; }

    internal uint SenderChainIndex { get; set; }

    internal ReceiverChains ReceiverChains { get; } = new();

    internal PendingPreKey? PendingPreKey { get; set; }

    internal uint LocalRegistrationId { get; set; }

    internal uint RemoteRegistrationId { get; set; }

    internal required byte[] AliceBaseKey { get; set; }

    /// <summary>Replaces our ratchet key pair (serialized public key, raw private key), overwriting the old one in place.</summary>
    internal void SetSenderRatchet(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> privateKey)
    {
        publicKey.CopyTo(SenderRatchetKey);
        privateKey.CopyTo(SenderRatchetPrivateKey);
    }

    internal ReceiverChain? FindReceiverChain(ECPublicKey ratchetKey) => FindReceiverChain(ratchetKey.Serialized);

    /// <summary>The receiving chain of a serialized ratchet key, compared without making a key object.</summary>
    internal ReceiverChain? FindReceiverChain(ReadOnlySpan<byte> ratchetKey) => ReceiverChains.Find(ratchetKey);

    /// <summary>Appends a receiving chain with a copy of <paramref name="chainKey"/> (the caller wipes its own).</summary>
    internal ReceiverChain AddReceiverChain(ReadOnlySpan<byte> ratchetKey, ReadOnlySpan<byte> chainKey) =>
        ReceiverChains.Add(ratchetKey, chainKey);

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
        w.WriteBytes(6, SenderRatchetKey);
        w.WriteBytes(7, SenderRatchetPrivateKey);
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

    /// <summary>
    /// Builds a state from its record bytes, in a pooled state when this thread has one; malformed bytes throw
    /// <see cref="InvalidMessageException"/>.
    /// </summary>
    internal static SessionState Deserialize(ReadOnlySpan<byte> bytes)
    {
        // Everything is checked before anything is built or overwritten.
        var f = SessionStateFields.Read(bytes);
        var state = t_pool is { Count: > 0 } pool ? pool.Pop() : Blank();
        state._pooled = false;
        state.Version = (int)f.Version;
        state.LocalIdentity = IdentityKeyCache.Get(f.LocalIdentity);
        state.RemoteIdentity = IdentityKeyCache.Get(f.RemoteIdentity);
        state.RootKey = Overwrite(state.RootKey, f.RootKey);
        state.PreviousCounter = f.PreviousCounter;
        state.SenderRatchetKey = Overwrite(state.SenderRatchetKey, f.SenderPublicKey);
        // Clamped on import, as ECPrivateKey.Deserialize does.
        state.SenderRatchetPrivateKey = Overwrite(state.SenderRatchetPrivateKey, f.SenderPrivateKey);
        Curve25519.Clamp(state.SenderRatchetPrivateKey);
        state.SenderChainKey = Overwrite(state.SenderChainKey, f.SenderChainKey);
        state.SenderChainIndex = f.SenderChainIndex;
        state.PendingPreKey = f.HasPendingPreKey ? SessionStateFields.ReadPendingPreKey(f.PendingPreKey, build: true) : null;
        state.LocalRegistrationId = f.LocalRegistrationId;
        state.RemoteRegistrationId = f.RemoteRegistrationId;
        state.AliceBaseKey = Overwrite(state.AliceBaseKey, f.AliceBaseKey);
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

    /// <summary>
    /// Wipes the state and keeps it for this thread's next <see cref="Deserialize"/>. The caller must hold the only
    /// reference (a disposed record, a dropped archived state).
    /// </summary>
    internal void Return()
    {
        if (_pooled)
        {
            return;
        }
        CryptographicOperations.ZeroMemory(RootKey);
        CryptographicOperations.ZeroMemory(SenderRatchetPrivateKey);
        CryptographicOperations.ZeroMemory(SenderChainKey);
        ReceiverChains.Reset();
        PendingPreKey = null;
        LocalIdentity = null!;
        RemoteIdentity = null!;
        var pool = t_pool ??= new Stack<SessionState>(PoolSize);
        if (pool.Count < PoolSize)
        {
            _pooled = true;
            pool.Push(this);
        }
    }

    private static SessionState Blank() => new()
    {
        LocalIdentity = null!,
        RemoteIdentity = null!,
        RootKey = new byte[32],
        SenderRatchetKey = new byte[ECPublicKey.SerializedLength],
        SenderRatchetPrivateKey = new byte[Curve25519.KeyLength],
        SenderChainKey = new byte[32],
        AliceBaseKey = new byte[ECPublicKey.SerializedLength],
    };

    // Copies into the state's own array when the length matches (always, for bytes we wrote), else a new one.
    private static byte[] Overwrite(byte[] own, ReadOnlySpan<byte> value)
    {
        if (own.Length != value.Length)
        {
            return value.ToArray();
        }
        value.CopyTo(own);
        return own;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SessionState);
}
