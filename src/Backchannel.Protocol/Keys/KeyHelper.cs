using System.Security.Cryptography;

namespace Backchannel.Protocol;

/// <summary>Makes the keys a device publishes.</summary>
public static class KeyHelper
{
    /// <summary>A registration id in 1..16380, the 14-bit range Signal uses (FACTS §4.1).</summary>
    public static uint GenerateRegistrationId() => (uint)RandomNumberGenerator.GetInt32(1, 16381);

    /// <summary><paramref name="count"/> one-time prekeys with ids starting at <paramref name="startId"/>.</summary>
    public static IReadOnlyList<PreKeyRecord> GeneratePreKeys(uint startId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new List<PreKeyRecord>(count);
        for (var i = 0; i < count; i++)
        {
            result.Add(new PreKeyRecord(startId + (uint)i, ECKeyPair.Generate()));
        }
        return result;
    }

    /// <summary>A signed prekey: the identity signs the serialized public key.</summary>
    public static SignedPreKeyRecord GenerateSignedPreKey(IdentityKeyPair identity, uint id, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var pair = ECKeyPair.Generate();
        return new SignedPreKeyRecord(id, timestampMs, pair, identity.Sign(pair.PublicKey.Serialized));
    }

    /// <summary>A Kyber prekey: the identity signs the serialized public key.</summary>
    public static KyberPreKeyRecord GenerateKyberPreKey(IdentityKeyPair identity, uint id, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var pair = KyberKeyPair.Generate();
        return new KyberPreKeyRecord(id, timestampMs, pair, identity.Sign(pair.PublicKey.Serialized));
    }
}
