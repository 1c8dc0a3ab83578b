using Backchannel.Protocol.Tests.TestSupport;
using CsCheck;

namespace Backchannel.Protocol.Tests;

/// <summary>
/// Hostile bytes against a live session: <see cref="SessionCipher.Decrypt"/> refuses every mutation of a valid
/// message with a <see cref="ProtocolException"/>, and the stored record is byte-identical afterwards.
/// </summary>
public sealed class SessionCipherPropertyTests
{
    public static TheoryData<int, string> Cases => new()
    {
        { CiphertextMessage.WhisperType, "fresh signal message on a new chain" },
        { CiphertextMessage.WhisperType, "fresh signal message on the current chain" },
        { CiphertextMessage.PreKeyType, "prekey message already received" },
        { CiphertextMessage.PreKeyType, "signal message sent as prekey type" },
        { CiphertextMessage.WhisperType, "prekey message sent as signal type" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decrypt_of_mutated_message_fails_with_protocol_exception_and_leaves_session_unchanged(int type, string seed)
    {
        var (s, valid) = Setup(seed);
        var before = s.Bob.RecordBytes(s.Alice);
        var identity = s.Bob.Store.GetIdentity(s.Alice.Address);
        var cipher = s.Bob.CipherFor(s.Alice);
        var attempts = 0;
        Fuzz.Mutations(valid).Sample(bytes =>
        {
            if (bytes.AsSpan().SequenceEqual(valid))
            {
                return;
            }
            attempts++;
            Assert.ThrowsAny<ProtocolException>(() => cipher.Decrypt(type, bytes));
            Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
            Assert.Equal(identity, s.Bob.Store.GetIdentity(s.Alice.Address));
        }, iter: Fuzz.DecryptIterations, threads: 1, print: Fuzz.Print);
        Assert.InRange(attempts, Fuzz.DecryptIterations * 9 / 10, Fuzz.DecryptIterations);
    }

    [Theory]
    [InlineData(CiphertextMessage.WhisperType)]
    [InlineData(CiphertextMessage.PreKeyType)]
    public void Decrypt_of_random_bytes_fails_with_protocol_exception_and_leaves_session_unchanged(int type)
    {
        var (s, _) = Setup("fresh signal message on a new chain");
        var before = s.Bob.RecordBytes(s.Alice);
        var cipher = s.Bob.CipherFor(s.Alice);
        Fuzz.NoiseAfter(0x44).Sample(bytes =>
        {
            Assert.ThrowsAny<ProtocolException>(() => cipher.Decrypt(type, bytes));
            Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        }, iter: Fuzz.RandomIterations, threads: 1, print: Fuzz.Print);
    }

    private static (Scenario, byte[]) Setup(string seed)
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var preKey = s.Alice.Encrypt(s.Bob, "first contact").Serialize();
        s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, preKey);
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "ack"));
        // Alice now sends on a chain Bob has not seen yet, so the first message makes Bob attempt a DH step.
        var newChain = s.Alice.Encrypt(s.Bob, "on a new chain").Serialize();
        switch (seed)
        {
            case "fresh signal message on a new chain":
            case "signal message sent as prekey type":
                return (s, newChain);
            case "fresh signal message on the current chain":
                s.Bob.Decrypt(s.Alice, CiphertextMessage.WhisperType, newChain);
                return (s, s.Alice.Encrypt(s.Bob, "same chain").Serialize());
            default:
                return (s, preKey);
        }
    }
}
