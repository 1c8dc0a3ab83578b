namespace Backchannel.Protocol;

/// <summary>A message carries a version below 3, from before this protocol.</summary>
public sealed class LegacyCiphertextVersionException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public LegacyCiphertextVersionException(string message) : base(message) { }
}
