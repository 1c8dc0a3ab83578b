using System.Net;

namespace Backchannel.Client.Relay;

/// <summary>The relay answered with a 4xx problem detail.</summary>
internal sealed class RelayProblemException : Exception
{
    public RelayProblemException(HttpStatusCode status, string message)
        : base(message)
    {
        Status = status;
    }

    public HttpStatusCode Status { get; }
}
