namespace Backchannel.Protocol;

/// <summary>A message counter was already used, or its key was already dropped.</summary>
public sealed class DuplicatedMessageException : ProtocolException
{
    /// <summary>Creates the exception with a message that carries no secret or plaintext.</summary>
    public DuplicatedMessageException(string message) : base(message) { }
}
