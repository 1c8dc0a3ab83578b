namespace Backchannel.Relay.Storage;

/// <summary>Whether the storage backend answers (for <c>GET /health</c>).</summary>
internal interface IStorageHealth
{
    /// <summary>Throws the backend's exception when the store does not answer.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}
