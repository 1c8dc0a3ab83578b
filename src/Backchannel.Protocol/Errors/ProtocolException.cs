namespace Backchannel.Protocol;

/// <summary>
/// Base of the few typed errors that bad input from the network can cause. Their messages never carry
/// secrets or plaintext. Misuse of the API throws standard exceptions instead (STYLE.md convention 7).
/// </summary>
public abstract class ProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected ProtocolException(string message) : base(message) { }
}
