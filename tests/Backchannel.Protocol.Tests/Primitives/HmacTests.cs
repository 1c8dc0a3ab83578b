using System.Security.Cryptography;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary><see cref="Kdf.Hmac"/> (libsodium) against RFC 4231's HMAC-SHA256 known answers and against .NET's HMAC.</summary>
public sealed class HmacTests
{
    [Theory]
    // RFC 4231 §4.2: a 20-byte key of 0x0b, "Hi There".
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    // RFC 4231 §4.3: a key shorter than the output, "Jefe".
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    public void Matches_the_RFC_4231_answers(string key, string data, string expected)
    {
        var output = new byte[32];
        Kdf.Hmac(Convert.FromHexString(key), Convert.FromHexString(data), output);
        Assert.Equal(expected, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Hashes_a_key_longer_than_the_block_first_as_in_RFC_4231_test_case_6()
    {
        var output = new byte[32];
        Kdf.Hmac(Enumerable.Repeat((byte)0xaa, 131).ToArray(), "Test Using Larger Than Block-Size Key - Hash Key First"u8, output);
        Assert.Equal("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Matches_dotnet_for_keys_and_inputs_of_every_length_the_protocol_uses_and_more()
    {
        foreach (int keyLength in new[] { 0, 1, 31, 32, 33, 64, 65, 200 })
        {
            foreach (int dataLength in new[] { 0, 1, 55, 56, 64, 1000 })
            {
                byte[] key = RandomNumberGenerator.GetBytes(keyLength);
                byte[] data = RandomNumberGenerator.GetBytes(dataLength);
                var ours = new byte[32];
                Kdf.Hmac(key, data, ours);
                Assert.Equal(HMACSHA256.HashData(key, data), ours);
            }
        }
    }

    [Fact]
    public void Two_inputs_under_one_key_give_the_two_single_HMACs_even_when_the_second_output_is_the_key()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] expectedSeed = HMACSHA256.HashData(key, new byte[] { 1 });
        byte[] expectedNext = HMACSHA256.HashData(key, new byte[] { 2 });
        var seed = new byte[32];

        Kdf.Hmac(key, [1], seed, [2], key);

        Assert.Equal(expectedSeed, seed);
        Assert.Equal(expectedNext, key);
    }

    [Fact]
    public void Refuses_an_output_shorter_than_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => Kdf.Hmac(new byte[32], [1], new byte[31]));
        Assert.Throws<ArgumentException>(() => Kdf.Hmac(new byte[32], [1], new byte[32], [2], new byte[31]));
    }
}
