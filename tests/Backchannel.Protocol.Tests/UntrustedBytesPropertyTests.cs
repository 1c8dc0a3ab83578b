using Backchannel.Protocol.Messages;
using Backchannel.Protocol.Tests.TestSupport;
using CsCheck;

namespace Backchannel.Protocol.Tests;

/// <summary>
/// Every parser of untrusted bytes refuses bad input with a <see cref="ProtocolException"/> subclass and never with
/// another exception type (STYLE.md convention 7), on noise and on mutations of valid serializations.
/// </summary>
public sealed class UntrustedBytesPropertyTests
{
    private static readonly Lazy<Dictionary<string, (Action<byte[]> Parse, byte[] Valid)>> Parsers = new(Build);

    public static TheoryData<string> ParserNames => [.. Parsers.Value.Keys];

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Parser_refuses_random_bytes_only_with_protocol_exceptions(string parser)
    {
        var (parse, valid) = Parsers.Value[parser];
        Fuzz.NoiseAfter(valid[0]).Sample(bytes => Fuzz.OnlyProtocolExceptions(parse, bytes),
            iter: Fuzz.RandomIterations, print: Fuzz.Print);
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Parser_refuses_mutated_valid_bytes_only_with_protocol_exceptions(string parser)
    {
        var (parse, valid) = Parsers.Value[parser];
        parse(valid);
        Fuzz.Mutations(valid).Sample(bytes => Fuzz.OnlyProtocolExceptions(parse, bytes),
            iter: Fuzz.MutationIterations, print: Fuzz.Print);
    }

    [Fact]
    public void Scannable_fingerprint_comparison_never_throws_on_hostile_bytes()
    {
        var (_, valid) = Parsers.Value["Fingerprint.CompareScannable"];
        var fingerprint = Fingerprint.Create(2, 2, "a"u8, IdentityKeyPair.Generate().PublicKey, "b"u8, IdentityKeyPair.Generate().PublicKey);
        Fuzz.Mutations(valid).Sample(bytes => Assert.False(fingerprint.CompareScannable(bytes)), iter: Fuzz.MutationIterations, print: Fuzz.Print);
        Fuzz.Noise.Sample(bytes => Assert.False(fingerprint.CompareScannable(bytes)), iter: Fuzz.RandomIterations, print: Fuzz.Print);
    }

    private static Dictionary<string, (Action<byte[]>, byte[])> Build()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        s.Alice.StartSessionWith(s.Bob);
        var preKeyMessage = s.Alice.Encrypt(s.Bob, "first").Serialize();
        s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, preKeyMessage);
        s.Alice.Encrypt(s.Bob, "lost, so its key stays skipped");
        s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "second"));
        var signalMessage = s.Bob.Encrypt(s.Alice, "reply").Serialize();
        var richRecord = s.Alice.Record(s.Bob).Serialize();
        var bobRecord = s.Bob.Record(s.Alice).Serialize();
        using var identity = IdentityKeyPair.Generate();
        using var preKey = KeyHelper.GeneratePreKeys(5, 1)[0];
        using var signed = KeyHelper.GenerateSignedPreKey(identity, 6, 1);
        using var kyber = KeyHelper.GenerateKyberPreKey(identity, 7, 2);
        var fingerprint = Fingerprint.Create(2, 2, "a"u8, identity.PublicKey, "b"u8, s.Bob.Identity.PublicKey);

        return new()
        {
            ["SignalMessage.Parse"] = (b => SignalMessage.Parse(b), signalMessage),
            ["PreKeySignalMessage.Parse"] = (b => PreKeySignalMessage.Parse(b), preKeyMessage),
            ["SessionRecord.Deserialize (initiator, archived, pending)"] = (b => SessionRecord.Deserialize(b), richRecord),
            ["SessionRecord.Deserialize (responder, skipped keys)"] = (b => SessionRecord.Deserialize(b), bobRecord),
            ["IdentityKeyPair.Deserialize"] = (b => IdentityKeyPair.Deserialize(b).Dispose(), identity.Serialize()),
            ["PreKeyRecord.Deserialize"] = (b => PreKeyRecord.Deserialize(b).Dispose(), preKey.Serialize()),
            ["SignedPreKeyRecord.Deserialize"] = (b => SignedPreKeyRecord.Deserialize(b).Dispose(), signed.Serialize()),
            ["KyberPreKeyRecord.Deserialize"] = (b => KyberPreKeyRecord.Deserialize(b).Dispose(), kyber.Serialize()),
            ["ECPublicKey.Deserialize"] = (b => ECPublicKey.Deserialize(b), identity.PublicKey.PublicKey.Serialize()),
            ["IdentityKey.Deserialize"] = (b => IdentityKey.Deserialize(b), identity.PublicKey.Serialize()),
            ["KyberPublicKey.Deserialize"] = (b => KyberPublicKey.Deserialize(b), kyber.PublicKey),
            ["Fingerprint.CompareScannable"] = (b => fingerprint.CompareScannable(b), fingerprint.Scannable),
        };
    }
}
