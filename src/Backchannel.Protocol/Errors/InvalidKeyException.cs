namespace Backchannel.Protocol;

/// <summary>Key bytes had the wrong type byte or length, or were otherwise unusable.</summary>
public sealed class InvalidKeyException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public InvalidKeyException(string message) : base(message) { }
}
