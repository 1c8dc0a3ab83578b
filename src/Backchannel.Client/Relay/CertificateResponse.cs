namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record CertificateResponse(byte[] Certificate);
