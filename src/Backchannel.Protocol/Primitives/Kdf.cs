using System.Security.Cryptography;

namespace Backchannel.Protocol.Primitives;

/// <summary>HKDF-SHA256 and HMAC-SHA256 from the base library, in the shapes the protocol uses.</summary>
internal static class Kdf
{
    /// <summary>HKDF-SHA256 (RFC 5869). An empty salt is the "no salt" of the specs: 32 zero bytes.</summary>
    internal static void Hkdf(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, info);

    internal static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output) =>
        HMACSHA256.HashData(key, data, output);
}
