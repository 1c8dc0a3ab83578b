using System.Data.Common;
using Backchannel.Relay.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Messages;

/// <summary>Deletes messages older than <see cref="RelayLimits.MessageLifetime"/>: at start, then every <see cref="RelayLimits.ExpiryInterval"/>.</summary>
internal sealed class MessageExpiryService(IMessageStore messages, RelayLimits limits, TimeProvider time, ILogger<MessageExpiryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(limits.ExpiryInterval, time);
        do
        {
            try
            {
                long cutoff = (time.GetUtcNow() - limits.MessageLifetime).ToUnixTimeMilliseconds();
                int expired = await messages.DeleteExpiredAsync(cutoff, stoppingToken).ConfigureAwait(false);
                if (expired > 0)
                {
                    logger.MessagesExpired(expired);
                }
            }
            catch (DbException e) when (StorageErrors.IsReadOnly(e))
            {
                logger.ExpiryPostponedReadOnly();
            }
            catch (DbException e)
            {
                logger.StorageUnavailable(e.GetType().Name, e.ErrorCode, e);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
