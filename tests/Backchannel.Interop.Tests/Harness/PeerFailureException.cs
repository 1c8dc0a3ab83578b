namespace Backchannel.Interop.Tests.Harness;

/// <summary>
/// A peer could not be used: its executable is missing, it died, it did not answer in time, or it broke the
/// JSON-lines framing. Always a test failure, never a skip.
/// </summary>
public sealed class PeerFailureException : Exception
{
    public PeerFailureException()
    {
    }

    public PeerFailureException(string message)
        : base(message)
    {
    }

    public PeerFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
