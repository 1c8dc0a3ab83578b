using System.Text.Json;
using Backchannel.Client;
using Backchannel.Protocol;

namespace Backchannel.Fuzzing;

/// <summary>Every fuzz target, by name. The names are the corpus folders under fuzz/corpus and fuzz/crashes.</summary>
public static class FuzzTargets
{
    private static readonly Type Protocol = typeof(ProtocolException);

    /// <summary>All targets, in the order fuzz/run.sh runs them.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("signal-message", "SignalMessage.Parse", ProtocolTargets.SignalMessage, Protocol),
        new("prekey-signal-message", "PreKeySignalMessage.Parse", ProtocolTargets.PreKeySignalMessage, Protocol),
        new("sender-key-message", "SenderKeyMessage.Parse", ProtocolTargets.SenderKeyMessage, Protocol),
        new("sender-key-distribution", "SenderKeyDistributionMessage.Parse and GroupCipher.ProcessDistributionMessage",
            ProtocolTargets.SenderKeyDistribution, Protocol),
        new("sealed-sender", "SealedSenderV1.Open with the fixture's identity", ProtocolTargets.SealedSender, Protocol),
        new("sealed-content", "UnidentifiedSenderMessageContent.Parse", ProtocolTargets.SealedContent, Protocol),
        new("certificate", "SenderCertificate / ServerCertificate .Deserialize and .Validate", ProtocolTargets.Certificate,
            typeof(InvalidCertificateException)),
        new("record", "Session/PreKey/SignedPreKey/KyberPreKey/SenderKey record Deserialize, Serialize, Deserialize",
            ProtocolTargets.Record, Protocol),
        new("key", "ECPublicKey/IdentityKey/ECPrivateKey/KyberPublicKey/IdentityKeyPair Deserialize", ProtocolTargets.Key,
            typeof(InvalidKeyException)),
        new("session-decrypt", "SessionCipher.Decrypt against the fixture", EndToEndTargets.SessionDecrypt, Protocol),
        new("group-decrypt", "GroupCipher.Decrypt against the fixture", EndToEndTargets.GroupDecrypt, Protocol),
        new("sealed-decrypt", "SealedSessionCipher.Decrypt against the fixture", EndToEndTargets.SealedDecrypt, Protocol),
        new("invite", "Backchannel.Client Invite.Parse", InviteTarget.Run, typeof(BackchannelException)),
        new("client-envelope", "Backchannel.Client Envelope.TryParse (the plaintext inside every message)", ClientTargets.Envelope,
            typeof(ClientTargets.EnvelopeRefused)),
        new("link-code", "Backchannel.Client link code parser (device approve)", ClientTargets.LinkCode, typeof(BackchannelException)),
        new("relay-body", "relay request bodies: RelayJson DTO deserialization and validation", RelayTargets.Run,
            typeof(JsonException)),
    ];

    /// <summary>The target named <paramref name="name"/>.</summary>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"unknown fuzz target '{name}'", nameof(name));
}
