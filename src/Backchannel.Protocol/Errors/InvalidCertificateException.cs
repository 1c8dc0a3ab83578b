namespace Backchannel.Protocol;

/// <summary>A certificate is expired, not signed through the trust root, or unparsable.</summary>
public sealed class InvalidCertificateException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public InvalidCertificateException(string message) : base(message) { }
}
