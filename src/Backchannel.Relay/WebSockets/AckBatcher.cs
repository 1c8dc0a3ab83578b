using System.Threading.Channels;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.WebSockets;

/// <summary>
/// The acknowledgements of one socket, applied in batches: every ack frame that arrives while the previous batch is
/// being committed goes into the next one, so a busy socket costs one store call (one write transaction) per
/// batch instead of one per frame and its mailbox keeps up with what it has received. An ack is applied only after
/// the client sent it, as before; the ones still queued when the socket closes are applied before the session ends.
/// </summary>
internal sealed class AckBatcher(IMessageStore messages, DeviceAddress device, int maxBatch)
{
    /// <summary>Acks waiting beyond this make the receive loop wait (a client cannot make the relay buffer without bound).</summary>
    private const int Capacity = 4096;

    private readonly Channel<Guid> _ids = Channel.CreateBounded<Guid>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = true,
    });

    /// <summary>Queues one acknowledged id (waits while <see cref="Capacity"/> are queued).</summary>
    public ValueTask AddAsync(Guid id, CancellationToken cancellationToken) => _ids.Writer.WriteAsync(id, cancellationToken);

    /// <summary>No more acks will come: <see cref="RunAsync"/> applies what is queued and returns.</summary>
    public void Complete() => _ids.Writer.TryComplete();

    /// <summary>
    /// Applies queued acks until <see cref="Complete"/>, at most <c>maxBatch</c> ids per store call. Store errors
    /// propagate to the caller; the ids of the failed batch stay pending in the store (they come again).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (await _ids.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var batch = new List<Guid>(Math.Min(maxBatch, _ids.Reader.Count));
            while (batch.Count < maxBatch && _ids.Reader.TryRead(out Guid id))
            {
                batch.Add(id);
            }

            if (batch.Count > 0)
            {
                await messages.AckAsync(device, batch, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
