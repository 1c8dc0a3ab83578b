namespace Backchannel.Client.Storage;

/// <summary>Keys of the <c>meta</c> table.</summary>
internal static class MetaKeys
{
    public const string IdentityKeyPair = "identity_key_pair";
    public const string IdentityKey = "identity_key";
    public const string RegistrationId = "registration_id";
    public const string Account = "account";
    public const string Device = "device";
    public const string Credential = "credential";
    public const string Relay = "relay";
    public const string Name = "name";
    public const string NextPreKeyId = "next_prekey_id";
    public const string NextKyberPreKeyId = "next_kyber_prekey_id";
    public const string SignedPreKeyId = "signed_prekey_id";
    public const string SignedPreKeyCreatedAt = "signed_prekey_created_at";

    /// <summary>Our 16-byte unidentified-access key, registered with the relay and given to contacts.</summary>
    public const string AccessKey = "access_key";

    /// <summary>The relay's trust root (33 bytes), pinned on first use.</summary>
    public const string TrustRoot = "trust_root";

    public const string SenderCertificate = "sender_certificate";

    /// <summary>Base64 SHA-256 of the relay's TLS SubjectPublicKeyInfo (init --pin); absent: system trust.</summary>
    public const string RelayPin = "relay_pin";

    /// <summary>A history copy owed to a device approved here that had not registered yet (JSON, see History).</summary>
    public const string PendingHistoryCopy = "pending_history_copy";
}
