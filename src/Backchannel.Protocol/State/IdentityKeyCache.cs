namespace Backchannel.Protocol.State;

/// <summary>
/// The identity keys this thread's session records named last. A record names the same two identities at every
/// load, and <see cref="IdentityKey"/> is immutable, so a load shares the object made at an earlier one instead of
/// making two new ones per message (224 B).
/// </summary>
internal static class IdentityKeyCache
{
    // Our identity and a few peers' is enough to make every load of a conversation a hit.
    private const int Size = 8;

    [ThreadStatic]
    private static IdentityKey?[]? t_keys;

    [ThreadStatic]
    private static int t_next;

    /// <summary>The identity of <paramref name="serialized"/> (checked by the caller as a public key).</summary>
    internal static IdentityKey Get(ReadOnlySpan<byte> serialized)
    {
        var keys = t_keys ??= new IdentityKey?[Size];
        foreach (var key in keys)
        {
            if (key is not null && serialized.SequenceEqual(key.Serialized))
            {
                return key;
            }
        }
        var made = IdentityKey.Deserialize(serialized);
        keys[t_next] = made;
        t_next = (t_next + 1) % Size;
        return made;
    }
}
