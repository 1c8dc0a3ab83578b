namespace Backchannel.Interop.Tests.Harness;

/// <summary>
/// Keeps two running peers of each kind for the whole test run (slot 0 plays the initiator, slot 1 the
/// responder), so a dotnet→dotnet or libsignal→libsignal pairing still crosses two processes. Tests stay
/// independent through fresh party names; a peer that died or stalled is replaced before its next use.
/// </summary>
public sealed class PeerPool : IAsyncLifetime
{
    private readonly Dictionary<(PeerKind Kind, int Slot), PeerProcess> running = [];
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>The initiator's and the responder's peer for a pairing.</summary>
    public async Task<(PeerProcess Initiator, PeerProcess Responder)> PairAsync(PeerKind initiator, PeerKind responder)
    {
        var first = await GetAsync(initiator, 0);
        var second = await GetAsync(responder, 1);
        return (first, second);
    }

    /// <summary>A running peer of <paramref name="kind"/> in <paramref name="slot"/>, started if needed.</summary>
    public async Task<PeerProcess> GetAsync(PeerKind kind, int slot)
    {
        await gate.WaitAsync();
        try
        {
            if (running.TryGetValue((kind, slot), out var peer))
            {
                if (peer.IsUsable)
                {
                    return peer;
                }

                running.Remove((kind, slot));
                await peer.DisposeAsync();
            }

            peer = PeerProcess.Start(kind, $"{kind.ToString().ToLowerInvariant()}#{slot}");
            running[(kind, slot)] = peer;
            return peer;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var peer in running.Values)
        {
            await peer.DisposeAsync();
        }

        running.Clear();
        gate.Dispose();
    }
}
