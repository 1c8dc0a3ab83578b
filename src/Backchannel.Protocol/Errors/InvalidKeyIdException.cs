namespace Backchannel.Protocol;

/// <summary>A message names a prekey that this store does not hold.</summary>
public sealed class InvalidKeyIdException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public InvalidKeyIdException(string message) : base(message) { }
}
