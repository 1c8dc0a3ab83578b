namespace Backchannel.Relay.Accounts;

/// <summary>Body of <c>PUT /v1/accounts/access-key</c>.</summary>
internal sealed class AccessKeyRequest
{
    public byte[]? AccessKey { get; set; }
}
