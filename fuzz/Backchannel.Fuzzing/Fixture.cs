using System.Text.Json;
using Backchannel.Protocol;

namespace Backchannel.Fuzzing;

/// <summary>
/// The fixed receiver ("Bob") that the end-to-end targets decrypt with: his identity, his session with Alice, an
/// unused one-time prekey, signed and Kyber prekeys for Carol's first message, Alice's sender key and the sealed
/// sender trust root, all at one fixed time. <see cref="SeedWriter"/> makes it once (keys are random) and it is
/// committed as fuzz/fixture/receiver.json and embedded here, so that the committed seeds keep decrypting.
/// </summary>
public sealed class Fixture
{
    /// <summary>The sender with an established session, a sender key and a sender certificate.</summary>
    public static readonly ProtocolAddress Alice = new("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", 1);

    /// <summary>A first contact whose PreKeySignalMessage the receiver has not processed.</summary>
    public static readonly ProtocolAddress Carol = new("cccccccc-cccc-4ccc-8ccc-cccccccccccc", 1);

    /// <summary>The receiver, as the senders address it.</summary>
    public static readonly ProtocolAddress Bob = new("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", 1);

    private const string ResourceName = "receiver.json";

    private static readonly Lazy<Fixture> Embedded = new(LoadEmbedded);

    private IdentityKeyPair? _identity;
    private ECPublicKey? _trustRoot;

    /// <summary>The committed fixture; InvalidOperationException when the build has none (run `seed` first).</summary>
    public static Fixture Current => Embedded.Value;

    public required byte[] ReceiverIdentity { get; init; }

    public required uint ReceiverRegistrationId { get; init; }

    public required byte[] AliceIdentity { get; init; }

    public required byte[] SessionWithAlice { get; init; }

    public required uint PreKeyId { get; init; }

    public required byte[] PreKey { get; init; }

    public required uint SignedPreKeyId { get; init; }

    public required byte[] SignedPreKey { get; init; }

    public required uint KyberPreKeyId { get; init; }

    public required byte[] KyberPreKey { get; init; }

    public required Guid DistributionId { get; init; }

    public required byte[] SenderKeyFromAlice { get; init; }

    public required byte[] TrustRoot { get; init; }

    public required long TimestampMs { get; init; }

    internal IdentityKeyPair ReceiverIdentityKeyPair => _identity ??= IdentityKeyPair.Deserialize(ReceiverIdentity);

    internal ECPublicKey TrustRootKey => _trustRoot ??= ECPublicKey.Deserialize(TrustRoot);

    internal TimeProvider Time => new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(TimestampMs));

    /// <summary>A fresh store holding the receiver's state.</summary>
    internal InMemoryProtocolStore CreateReceiverStore()
    {
        var store = new InMemoryProtocolStore(ReceiverIdentityKeyPair, ReceiverRegistrationId);
        store.SaveIdentity(Alice, IdentityKey.Deserialize(AliceIdentity));
        store.StoreSession(Alice, SessionRecord.Deserialize(SessionWithAlice));
        store.StorePreKey(PreKeyId, PreKeyRecord.Deserialize(PreKey));
        store.StoreSignedPreKey(SignedPreKeyId, SignedPreKeyRecord.Deserialize(SignedPreKey));
        store.StoreKyberPreKey(KyberPreKeyId, KyberPreKeyRecord.Deserialize(KyberPreKey), isLastResort: true);
        return store;
    }

    /// <summary>A fresh sender-key store holding Alice's chain.</summary>
    internal InMemorySenderKeyStore CreateSenderKeyStore()
    {
        var store = new InMemorySenderKeyStore();
        store.StoreSenderKey(Alice, DistributionId, SenderKeyRecord.Deserialize(SenderKeyFromAlice));
        return store;
    }

    internal byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, new JsonSerializerOptions { WriteIndented = true });

    private static Fixture LoadEmbedded()
    {
        using var stream = typeof(Fixture).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("this build has no fuzz/fixture/receiver.json: run `Backchannel.Fuzz seed` and rebuild");
        return JsonSerializer.Deserialize<Fixture>(stream) ?? throw new InvalidOperationException("empty fixture");
    }
}
