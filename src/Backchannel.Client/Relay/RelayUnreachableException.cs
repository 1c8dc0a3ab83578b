namespace Backchannel.Client.Relay;

/// <summary>The relay could not be reached (refused, timed out, or answered 5xx).</summary>
internal sealed class RelayUnreachableException : Exception
{
    public RelayUnreachableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
