using Microsoft.Extensions.Hosting;

namespace Backchannel.Relay.Infrastructure;

/// <summary>A host lifetime that ignores process signals: the embedding program (the CLI, a test) decides when to stop.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
