namespace Backchannel.Interop.Tests.Harness;

/// <summary>A peer answered, but not with what the scenario needed.</summary>
public sealed class PeerRequestFailedException : Exception
{
    public PeerRequestFailedException()
    {
    }

    public PeerRequestFailedException(string message)
        : base(message)
    {
    }

    public PeerRequestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal PeerRequestFailedException(PeerResponse response)
        : base($"{response.Peer} answered {response.Op} (id {response.Id}) with {response.Error ?? "(no error kind)"}: {response.Message ?? response.Root.GetRawText()}")
    {
    }

    internal PeerRequestFailedException(PeerResponse response, string problem)
        : base($"{response.Peer} answered {response.Op} (id {response.Id}) unexpectedly: {problem}")
    {
    }
}
