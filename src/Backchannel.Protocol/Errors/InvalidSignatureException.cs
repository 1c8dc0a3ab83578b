namespace Backchannel.Protocol;

/// <summary>A signature over a prekey or a message did not verify.</summary>
public sealed class InvalidSignatureException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public InvalidSignatureException(string message) : base(message) { }
}
