using System.Security.Cryptography;

namespace Backchannel.Relay.Auth;

/// <summary>
/// Unidentified-access keys (sealed delivery): 16 random bytes an account hands to its contacts inside encrypted
/// messages; whoever holds it may deliver sealed messages to the account without saying who they are. The relay
/// stores only the SHA-256 hash and compares in constant time; as with credentials, the key is random, not a
/// password, so a plain hash suffices.
/// </summary>
internal static class AccessKeys
{
    /// <summary>Signal's unidentified-access keys are 16 bytes.</summary>
    public const int Length = 16;

    /// <summary>Compared against when an account has no key or does not exist, so those take as long as a wrong key.</summary>
    private static readonly byte[] Decoy = SHA256.HashData("decoy access key"u8);

    public static bool IsWellFormed(byte[]? key) => key is { Length: Length };

    public static byte[] Hash(byte[] key) => SHA256.HashData(key);

    /// <summary>Whether <paramref name="key"/> hashes to <paramref name="storedHash"/> (null: no key or no account, always false).</summary>
    public static bool Verify(byte[]? key, byte[]? storedHash)
    {
        byte[] hash = SHA256.HashData(key ?? []);
        bool equal = CryptographicOperations.FixedTimeEquals(hash, storedHash ?? Decoy);
        return equal && storedHash is not null && IsWellFormed(key);
    }
}
