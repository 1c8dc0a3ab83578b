namespace Backchannel.Relay.Storage.InMemory;

/// <summary>Process memory always answers.</summary>
internal sealed class InMemoryStorageHealth : IStorageHealth
{
    public Task CheckAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
