namespace Backchannel.Relay.Keys;

/// <summary>Body of <c>PUT /v1/keys</c>: any of the four parts.</summary>
internal sealed class KeysUploadRequest
{
    public SignedPreKeyDto? SignedPreKey { get; set; }

    public SignedPreKeyDto? KyberLastResortPreKey { get; set; }

    public List<PreKeyDto?>? PreKeys { get; set; }

    public List<SignedPreKeyDto?>? KyberPreKeys { get; set; }
}
