using Backchannel.Relay.Keys;

namespace Backchannel.Relay.Accounts;

/// <summary>Body of <c>POST /v1/accounts</c>: the device credential, registration id, identity key, first prekeys and optional access key.</summary>
internal sealed class RegisterRequest
{
    public string? Credential { get; set; }

    public int? RegistrationId { get; set; }

    public byte[]? IdentityKey { get; set; }

    public SignedPreKeyDto? SignedPreKey { get; set; }

    public SignedPreKeyDto? KyberLastResortPreKey { get; set; }

    public List<PreKeyDto?>? PreKeys { get; set; }

    public List<SignedPreKeyDto?>? KyberPreKeys { get; set; }

    /// <summary>Optional unidentified-access key (16 bytes) for sealed delivery.</summary>
    public byte[]? AccessKey { get; set; }
}
