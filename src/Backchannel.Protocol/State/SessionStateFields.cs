using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The fields of one serialized session state (our record format), read as slices of the bytes and checked
/// completely without building objects: <see cref="SessionState.Deserialize"/> builds the state from them, and
/// an archived state is only checked at load and built when a message needs it (<see cref="ArchivedStates"/>).
/// Malformed bytes throw <see cref="InvalidMessageException"/>.
/// </summary>
internal ref struct SessionStateFields
{
    internal uint Version;
    internal uint PreviousCounter;
    internal uint SenderChainIndex;
    internal uint LocalRegistrationId;
    internal uint RemoteRegistrationId;
    internal ReadOnlySpan<byte> LocalIdentity;
    internal ReadOnlySpan<byte> RemoteIdentity;
    internal ReadOnlySpan<byte> RootKey;
    internal ReadOnlySpan<byte> SenderPublicKey;
    internal ReadOnlySpan<byte> SenderPrivateKey;
    internal ReadOnlySpan<byte> SenderChainKey;
    internal ReadOnlySpan<byte> AliceBaseKey;
    internal ReadOnlySpan<byte> PendingPreKey;
    internal bool HasPendingPreKey;

    internal static SessionStateFields Read(ReadOnlySpan<byte> bytes)
    {
        var f = default(SessionStateFields);
        bool hasLocal = false, hasRemote = false, hasRoot = false, hasSenderPublic = false, hasSenderPrivate = false,
            hasSenderChain = false, hasAliceBase = false;
        var chains = 0;
        var r = new ProtoReader(bytes);
        while (r.TryReadTag(out var field, out var wt))
        {
            switch (field)
            {
                case 1: f.Version = r.ReadUInt32(wt); break;
                case 2: f.LocalIdentity = r.ReadBytesSpan(wt); hasLocal = true; break;
                case 3: f.RemoteIdentity = r.ReadBytesSpan(wt); hasRemote = true; break;
                case 4: f.RootKey = r.ReadBytesSpan(wt); hasRoot = true; break;
                case 5: f.PreviousCounter = r.ReadUInt32(wt); break;
                case 6: f.SenderPublicKey = r.ReadBytesSpan(wt); hasSenderPublic = true; break;
                case 7: f.SenderPrivateKey = r.ReadBytesSpan(wt); hasSenderPrivate = true; break;
                case 8: f.SenderChainKey = r.ReadBytesSpan(wt); hasSenderChain = true; break;
                case 9: f.SenderChainIndex = r.ReadUInt32(wt); break;
                case 10:
                    ReadChain(r.ReadBytesSpan(wt), into: null);
                    chains++;
                    break;
                case 11:
                    f.PendingPreKey = r.ReadBytesSpan(wt);
                    f.HasPendingPreKey = true;
                    ReadPendingPreKey(f.PendingPreKey, build: false);
                    break;
                case 12: f.LocalRegistrationId = r.ReadUInt32(wt); break;
                case 13: f.RemoteRegistrationId = r.ReadUInt32(wt); break;
                case 14: f.AliceBaseKey = r.ReadBytesSpan(wt); hasAliceBase = true; break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasLocal || !hasRemote || !hasRoot || !hasSenderPublic || !hasSenderPrivate || !hasSenderChain || !hasAliceBase
            || f.RootKey.Length != 32 || f.SenderChainKey.Length != 32 || chains > Constants.MaxReceiverChains)
        {
            throw new InvalidMessageException("incomplete session state");
        }
        if (!IsPublicKey(f.LocalIdentity) || !IsPublicKey(f.RemoteIdentity) || !IsPublicKey(f.SenderPublicKey)
            || f.SenderPrivateKey.Length != 32)
        {
            throw new InvalidMessageException("invalid key in session record");
        }
        return f;
    }

    /// <summary>Checks one receiving chain; with <paramref name="into"/> (a new or wiped chain) also fills it.</summary>
    internal static void ReadChain(ReadOnlySpan<byte> bytes, ReceiverChain? into)
    {
        var r = new ProtoReader(bytes);
        ReadOnlySpan<byte> key = default, chainKey = default;
        bool hasKey = false, hasChainKey = false;
        uint index = 0;
        var skipped = 0;
        while (r.TryReadTag(out var field, out var wt))
        {
            switch (field)
            {
                case 1: key = r.ReadBytesSpan(wt); hasKey = true; break;
                case 2: chainKey = r.ReadBytesSpan(wt); hasChainKey = true; break;
                case 3: index = r.ReadUInt32(wt); break;
                case 4:
                    ReadSkipped(r.ReadBytesSpan(wt), out _);
                    skipped++;
                    break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasKey || !hasChainKey || chainKey.Length != 32 || skipped > Constants.MaxMessageKeys)
        {
            throw new InvalidMessageException("incomplete receiver chain");
        }
        if (!IsPublicKey(key))
        {
            throw new InvalidMessageException("invalid key in session record");
        }
        if (into is null)
        {
            return;
        }
        into.Set(key, chainKey, index);
        if (skipped > 0)
        {
            r = new ProtoReader(bytes);
            while (r.TryReadTag(out var field, out var wt))
            {
                if (field == 4)
                {
                    var seedIndex = ReadSkipped(r.ReadBytesSpan(wt), out var seed);
                    into.SkippedSeeds.Add((seedIndex, seed.ToArray()));
                }
                else
                {
                    r.Skip(wt);
                }
            }
        }
    }

    /// <summary>The ratchet key of a chain that <see cref="ReadChain"/> has checked.</summary>
    internal static ReadOnlySpan<byte> ChainRatchetKey(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        ReadOnlySpan<byte> key = default;
        var hasKey = false;
        while (r.TryReadTag(out var field, out var wt))
        {
            if (field == 1)
            {
                key = r.ReadBytesSpan(wt);
                hasKey = true;
            }
            else
            {
                r.Skip(wt);
            }
        }
        return hasKey ? key : throw new InvalidMessageException("incomplete receiver chain");
    }

    /// <summary>Checks the pending PreKey data of an initiator; with <paramref name="build"/> also returns it.</summary>
    internal static PendingPreKey? ReadPendingPreKey(ReadOnlySpan<byte> bytes, bool build)
    {
        var r = new ProtoReader(bytes);
        uint? preKeyId = null;
        uint signed = 0, kyber = 0;
        ReadOnlySpan<byte> baseKey = default, ciphertext = default;
        bool hasBaseKey = false, hasCiphertext = false;
        ulong timestamp = 0;
        while (r.TryReadTag(out var field, out var wt))
        {
            switch (field)
            {
                case 1: preKeyId = r.ReadUInt32(wt); break;
                case 2: signed = r.ReadUInt32(wt); break;
                case 3: baseKey = r.ReadBytesSpan(wt); hasBaseKey = true; break;
                case 4: kyber = r.ReadUInt32(wt); break;
                case 5: ciphertext = r.ReadBytesSpan(wt); hasCiphertext = true; break;
                case 6: timestamp = r.ReadUInt64(wt); break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasBaseKey || !hasCiphertext)
        {
            throw new InvalidMessageException("incomplete pending prekey");
        }
        if (!IsPublicKey(baseKey))
        {
            throw new InvalidMessageException("invalid key in session record");
        }
        return build ? new PendingPreKey(preKeyId, signed, ECPublicKey.Deserialize(baseKey), kyber, ciphertext.ToArray(), (long)timestamp) : null;
    }

    private static uint ReadSkipped(ReadOnlySpan<byte> bytes, out ReadOnlySpan<byte> seed)
    {
        var r = new ProtoReader(bytes);
        uint index = 0;
        seed = default;
        var hasSeed = false;
        while (r.TryReadTag(out var field, out var wt))
        {
            switch (field)
            {
                case 1: index = r.ReadUInt32(wt); break;
                case 2: seed = r.ReadBytesSpan(wt); hasSeed = true; break;
                default: r.Skip(wt); break;
            }
        }
        if (!hasSeed || seed.Length != 32)
        {
            throw new InvalidMessageException("incomplete skipped message key");
        }
        return index;
    }

    // What ECPublicKey.Deserialize accepts, checked without making one.
    private static bool IsPublicKey(ReadOnlySpan<byte> bytes) =>
        bytes.Length == ECPublicKey.SerializedLength && bytes[0] == ECPublicKey.DjbType;
}
