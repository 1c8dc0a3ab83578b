namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record RegisterRequest(
    string Credential,
    uint RegistrationId,
    byte[] IdentityKey,
    PreKeyDto SignedPreKey,
    PreKeyDto KyberLastResortPreKey,
    IReadOnlyList<PreKeyDto> PreKeys,
    IReadOnlyList<PreKeyDto> KyberPreKeys,
    byte[] AccessKey)
{
    /// <summary>Never prints the credential.</summary>
    public override string ToString() => nameof(RegisterRequest);
}
