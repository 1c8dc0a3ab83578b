namespace Backchannel.Relay.Certificates;

/// <summary>Answer of <c>GET /v1/certificate/trust-root</c>: the 33-byte trust root public key.</summary>
internal sealed record TrustRootResponse(byte[] TrustRoot);
