using System.Security.Cryptography;

namespace Backchannel.Relay.Tests;

/// <summary>Opaque key material of realistic sizes: the relay never parses keys, so random bytes do.</summary>
public static class TestKeys
{
    public static byte[] Ec() => Typed(0x05, 32);

    public static byte[] Kyber() => Typed(0x08, 1568);

    public static byte[] Signature() => RandomNumberGenerator.GetBytes(64);

    public static string Credential() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Typed(byte type, int length)
    {
        byte[] key = RandomNumberGenerator.GetBytes(length + 1);
        key[0] = type;
        return key;
    }
}
