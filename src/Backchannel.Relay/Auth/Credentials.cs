using System.Security.Cryptography;
using System.Text;

namespace Backchannel.Relay.Auth;

/// <summary>
/// Device credentials: chosen by the client (at least 32 random bytes as base64url, 43–128 characters), stored
/// only as their SHA-256 hash, compared in constant time. A plain hash suffices because the credential is a
/// 256-bit random secret, not a password: there is nothing to guess from the hash.
/// </summary>
internal static class Credentials
{
    /// <summary>32 bytes in unpadded base64url.</summary>
    public const int MinLength = 43;

    /// <summary>96 bytes in base64url: generous, and bounds the work of hashing.</summary>
    public const int MaxLength = 128;

    /// <summary>Compared against when a device does not exist, so an unknown device takes as long as a wrong secret.</summary>
    private static readonly byte[] Decoy = SHA256.HashData("decoy"u8);

    public static bool IsWellFormed(string? credential) =>
        credential is { Length: >= MinLength and <= MaxLength } && credential.All(IsBase64UrlChar);

    public static byte[] Hash(string credential) => SHA256.HashData(Encoding.UTF8.GetBytes(credential));

    /// <summary>Whether <paramref name="credential"/> hashes to <paramref name="storedHash"/> (null: no such device, always false).</summary>
    public static bool Verify(string credential, byte[]? storedHash)
    {
        byte[] hash = Hash(credential);
        bool equal = CryptographicOperations.FixedTimeEquals(hash, storedHash ?? Decoy);
        return equal && storedHash is not null;
    }

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
