using Backchannel.Protocol;

namespace Backchannel.Fuzzing;

/// <summary>
/// Targets for the protocol library's parsers, each fed the raw bytes. Targets that cover several parsers take
/// the first input byte as a selector, so one corpus reaches all of them.
/// </summary>
internal static class ProtocolTargets
{
    internal static void SignalMessage(byte[] input) => ProtocolInternals.SignalMessageParse(input);

    internal static void PreKeySignalMessage(byte[] input) => ProtocolInternals.PreKeySignalMessageParse(input);

    internal static void SenderKeyMessage(byte[] input) => ProtocolInternals.SenderKeyMessageParse(input);

    /// <summary>The parser, then the public path that stores the chain it announces.</summary>
    internal static void SenderKeyDistribution(byte[] input)
    {
        ProtocolInternals.SenderKeyDistributionMessageParse(input);
        GroupCipher.ProcessDistributionMessage(new InMemorySenderKeyStore(), Fixture.Alice, input);
    }

    /// <summary>SealedSenderV1.Open with the fixture's recipient identity: outer layer, both decryptions, content.</summary>
    internal static void SealedSender(byte[] input) =>
        ProtocolInternals.SealedSenderOpen(Fixture.Current.ReceiverIdentityKeyPair, input);

    /// <summary>The content inside a sealed message, which the outer MACs keep a fuzzer from reaching through Open.</summary>
    internal static void SealedContent(byte[] input) => ProtocolInternals.UnidentifiedContentParse(input);

    /// <summary>Byte 0 even: a sender certificate; odd: a server certificate. Both are then validated.</summary>
    internal static void Certificate(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var payload = input.AsSpan(1);
        var trustRoot = Fixture.Current.TrustRootKey;
        if (input[0] % 2 == 0)
        {
            SenderCertificate.Deserialize(payload).Validate(trustRoot, Fixture.Current.TimestampMs);
        }
        else
        {
            ServerCertificate.Deserialize(payload).Validate(trustRoot);
        }
    }

    /// <summary>Byte 0 selects the stored record kind; a record that parses is serialized and parsed again.</summary>
    internal static void Record(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var payload = input.AsSpan(1);
        switch (input[0] % 5)
        {
            case 0: SessionRecord.Deserialize(SessionRecord.Deserialize(payload).Serialize()); break;
            case 1: PreKeyRecord.Deserialize(PreKeyRecord.Deserialize(payload).Serialize()); break;
            case 2: SignedPreKeyRecord.Deserialize(SignedPreKeyRecord.Deserialize(payload).Serialize()); break;
            case 3: KyberPreKeyRecord.Deserialize(KyberPreKeyRecord.Deserialize(payload).Serialize()); break;
            default: SenderKeyRecord.Deserialize(SenderKeyRecord.Deserialize(payload).Serialize()); break;
        }
    }

    /// <summary>Byte 0 selects the key deserializer.</summary>
    internal static void Key(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var payload = input.AsSpan(1);
        switch (input[0] % 5)
        {
            case 0: ECPublicKey.Deserialize(payload); break;
            case 1: IdentityKey.Deserialize(payload); break;
            case 2: ECPrivateKey.Deserialize(payload).PublicKey(); break;
            case 3: KyberPublicKey.Deserialize(payload); break;
            default: IdentityKeyPair.Deserialize(payload); break;
        }
    }
}
