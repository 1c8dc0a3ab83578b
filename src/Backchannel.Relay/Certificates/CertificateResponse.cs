namespace Backchannel.Relay.Certificates;

/// <summary>Answer of <c>GET /v1/certificate</c>: a serialized SenderCertificate for the caller.</summary>
internal sealed record CertificateResponse(byte[] Certificate);
