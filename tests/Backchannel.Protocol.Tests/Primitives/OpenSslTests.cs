using System.Security.Cryptography;
using Backchannel.Protocol.Messages;
using Backchannel.Protocol.Primitives;

namespace Backchannel.Protocol.Tests.Primitives;

/// <summary>
/// The direct OpenSSL calls (<see cref="OpenSsl"/>) against known answers and against .NET's AES and HMAC, which
/// is what the protocol falls back to where they are not available.
/// </summary>
public sealed class OpenSslTests
{
    [Fact]
    public void Is_in_use_on_this_linux_machine()
    {
        // CI and the benchmarks run on Linux with OpenSSL 3: if the direct path silently fell back, the figures in
        // BENCHMARKS.md would no longer describe the code.
        Assert.True(OperatingSystem.IsLinux());
        Assert.True(OpenSsl.IsAvailable, OpenSsl.UnavailableReason);
    }

    [Fact]
    public void Aes_cbc_matches_the_NIST_SP_800_38A_CBC_AES256_vector()
    {
        // SP 800-38A F.2.5 (CBC-AES256.Encrypt), four blocks; PKCS#7 then adds a fifth block of padding.
        byte[] key = Convert.FromHexString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        byte[] iv = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        byte[] plaintext = Convert.FromHexString(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        var ciphertext = new byte[AesCbc.CiphertextLength(plaintext.Length)];
        OpenSsl.AesCbcEncrypt(key, iv, plaintext, ciphertext);
        Assert.Equal(
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
            Convert.ToHexStringLower(ciphertext.AsSpan(0, 64)));

        var scratch = new byte[ciphertext.Length + 16];
        int length = OpenSsl.AesCbcDecrypt(key, iv, ciphertext, scratch);
        Assert.Equal(plaintext, scratch.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void Aes_cbc_matches_dotnet_both_ways_for_every_length_up_to_three_blocks_and_a_large_one()
    {
        foreach (int length in Enumerable.Range(0, 49).Append(1000).Append(70_000))
        {
            byte[] key = RandomNumberGenerator.GetBytes(32);
            byte[] iv = RandomNumberGenerator.GetBytes(16);
            byte[] plaintext = RandomNumberGenerator.GetBytes(length);
            var ours = new byte[AesCbc.CiphertextLength(length)];
            var theirs = new byte[ours.Length];
            OpenSsl.AesCbcEncrypt(key, iv, plaintext, ours);
            AesCbc.EncryptDotNet(key, iv, plaintext, theirs);
            Assert.Equal(theirs, ours);

            // Both dispatching decryptions (array and buffer) give the plaintext back, as .NET's does.
            Assert.Equal(plaintext, AesCbc.Decrypt(key, iv, ours));
            Assert.Equal(plaintext, AesCbc.DecryptDotNet(key, iv, ours));
            var buffer = new byte[ours.Length];
            Assert.Equal(length, AesCbc.Decrypt(key, iv, ours, buffer));
            Assert.Equal(plaintext, buffer.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void Aes_cbc_refuses_bad_padding_as_dotnet_does_and_leaves_no_error_behind()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        var ciphertext = new byte[AesCbc.CiphertextLength(20)];
        AesCbc.Encrypt(key, iv, new byte[20], ciphertext);
        byte[] wrongKey = RandomNumberGenerator.GetBytes(32);

        // A wrong key decrypts to garbage whose padding is almost never valid (1 in ~256 is; retry with another key).
        int refused = 0;
        for (int i = 0; i < 20; i++)
        {
            wrongKey = RandomNumberGenerator.GetBytes(32);
            try
            {
                AesCbc.DecryptDotNet(wrongKey, iv, ciphertext);
                continue;
            }
            catch (InvalidMessageException)
            {
            }

            var buffer = new byte[ciphertext.Length];
            buffer.AsSpan().Fill(0x5a);
            Assert.Throws<InvalidMessageException>(() => AesCbc.Decrypt(wrongKey, iv, ciphertext));
            Assert.Throws<InvalidMessageException>(() => AesCbc.Decrypt(wrongKey, iv, ciphertext, buffer));
            Assert.All(buffer, b => Assert.Equal(0x5a, b));
            refused++;
        }

        Assert.True(refused > 10);

        // The failed calls left OpenSSL's error queue empty and the thread's context usable: .NET's own OpenSSL
        // calls on this thread and ours still work and agree.
        Assert.Equal(new byte[20], AesCbc.Decrypt(key, iv, ciphertext));
        Assert.Equal(new byte[20], AesCbc.DecryptDotNet(key, iv, ciphertext));
        Assert.Throws<InvalidMessageException>(() => AesCbc.Decrypt(key, iv, ciphertext.AsSpan(0, 15)));
    }

    [Theory]
    // RFC 4231 §4.2 and §4.3.
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    public void Hmac_matches_the_RFC_4231_answers_whatever_way_the_input_is_split(string key, string data, string expected)
    {
        byte[] input = Convert.FromHexString(data);
        for (int a = 0; a <= input.Length; a++)
        {
            int b = (input.Length - a) / 2;
            var output = new byte[32];
            OpenSsl.HmacSha256(Convert.FromHexString(key), input.AsSpan(0, a), input.AsSpan(a, b), input.AsSpan(a + b), output);
            Assert.Equal(expected, Convert.ToHexStringLower(output));
        }
    }

    [Fact]
    public void Hmac_matches_dotnet_for_keys_and_inputs_of_many_lengths_one_call_after_another()
    {
        // One thread's context serves call after call with a new key each time (and is wiped in between).
        foreach (int keyLength in new[] { 0, 1, 32, 64, 65, 200 })
        {
            foreach (int dataLength in new[] { 0, 1, 63, 64, 65, 1000, 70_000 })
            {
                byte[] key = RandomNumberGenerator.GetBytes(keyLength);
                byte[] data = RandomNumberGenerator.GetBytes(dataLength);
                var ours = new byte[32];
                OpenSsl.HmacSha256(key, data.AsSpan(0, dataLength / 3), data.AsSpan(dataLength / 3, dataLength / 3), data.AsSpan(2 * (dataLength / 3)), ours);
                Assert.Equal(HMACSHA256.HashData(key, data), ours);
            }
        }
    }

    [Fact]
    public void The_signal_message_mac_is_the_same_on_both_paths()
    {
        using var sender = IdentityKeyPair.Generate();
        using var receiver = IdentityKeyPair.Generate();
        byte[] macKey = RandomNumberGenerator.GetBytes(32);
        byte[] message = RandomNumberGenerator.GetBytes(1091);
        var direct = new byte[32];
        var dotnet = new byte[32];
        SignalMessageView.ComputeMac(macKey, sender.PublicKey, receiver.PublicKey, message, direct);
        SignalMessageView.ComputeMacDotNet(macKey, sender.PublicKey, receiver.PublicKey, message, dotnet);
        Assert.Equal(dotnet, direct);
        Assert.Equal(HMACSHA256.HashData(macKey, (byte[])[.. sender.PublicKey.Serialize(), .. receiver.PublicKey.Serialize(), .. message]), direct);
    }

    [Fact]
    public async Task Threads_each_get_their_own_contexts_and_agree_with_dotnet()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                byte[] plaintext = RandomNumberGenerator.GetBytes(i % 100);
                var ciphertext = new byte[AesCbc.CiphertextLength(plaintext.Length)];
                AesCbc.Encrypt(key, iv, plaintext, ciphertext);
                Assert.Equal(plaintext, AesCbc.DecryptDotNet(key, iv, ciphertext));
                var mac = new byte[32];
                OpenSsl.HmacSha256(key, plaintext, ciphertext, default, mac);
                Assert.Equal(HMACSHA256.HashData(key, (byte[])[.. plaintext, .. ciphertext]), mac);
            }
        })));
    }
}
