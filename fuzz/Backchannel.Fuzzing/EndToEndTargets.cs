using Backchannel.Protocol;

namespace Backchannel.Fuzzing;

/// <summary>
/// The public decrypt entry points against the fixed receiver state of <see cref="Fixture"/>, rebuilt for every
/// input so that one input cannot change what the next one meets. Seeds made with the fixture decrypt, so the
/// fuzzer starts past the MACs and signatures.
/// </summary>
internal static class EndToEndTargets
{
    /// <summary>
    /// Byte 0: bit 0 picks the message type (0: SignalMessage, 1: PreKeySignalMessage), bit 1 the sender
    /// (0: Alice, who has a session; 1: Carol, a first contact). The rest is the message.
    /// </summary>
    internal static void SessionDecrypt(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var fixture = Fixture.Current;
        var type = (input[0] & 1) == 0 ? CiphertextMessage.WhisperType : CiphertextMessage.PreKeyType;
        var sender = (input[0] & 2) == 0 ? Fixture.Alice : Fixture.Carol;
        new SessionCipher(fixture.CreateReceiverStore(), sender, fixture.Time).Decrypt(type, input.AsSpan(1));
    }

    internal static void GroupDecrypt(byte[] input) =>
        GroupCipher.Decrypt(Fixture.Current.CreateSenderKeyStore(), Fixture.Alice, input);

    internal static void SealedDecrypt(byte[] input)
    {
        var fixture = Fixture.Current;
        SealedSessionCipher.Decrypt(fixture.CreateReceiverStore(), fixture.CreateSenderKeyStore(), fixture.TrustRootKey,
            fixture.TimestampMs, input, fixture.Time);
    }
}
