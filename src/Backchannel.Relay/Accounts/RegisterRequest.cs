using Backchannel.Relay.Keys;

namespace Backchannel.Relay.Accounts;

/// <summary>Body of <c>POST /v1/accounts</c>: the device credential, registration id, identity key and first prekeys.</summary>
internal sealed class RegisterRequest
{
    public string? Credential { get; set; }

    public int? RegistrationId { get; set; }

    public byte[]? IdentityKey { get; set; }

    public SignedPreKeyDto? SignedPreKey { get; set; }

    public SignedPreKeyDto? KyberLastResortPreKey { get; set; }

    public List<PreKeyDto?>? PreKeys { get; set; }

    public List<SignedPreKeyDto?>? KyberPreKeys { get; set; }
}
