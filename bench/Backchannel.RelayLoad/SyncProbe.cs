using System.Diagnostics;
using System.Globalization;

namespace Backchannel.RelayLoad;

/// <summary>
/// Times a 4 KiB write + <c>fsync</c> of its own file in the relay's data directory every 100 ms through the
/// window (about 3% on top of the relay's ~300 syncs/s at 10,000 messages/s). The device counters give averages, which
/// a few long stalls barely move; a relay commit waits for its sync, so one stall of the shared disk delays every
/// send of that moment. The probe's slowest syncs show such stalls.
/// </summary>
internal sealed class SyncProbe : IAsyncDisposable
{
    private const int IntervalMilliseconds = 100;

    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<double> _milliseconds = [];
    private readonly Task _loop;

    public SyncProbe(string directory)
    {
        _path = Path.Combine(directory, "sync-probe");
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);
    }

    private void Loop()
    {
        byte[] block = new byte[4096];
        Random.Shared.NextBytes(block);
        try
        {
            using var file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            while (!_stop.IsCancellationRequested)
            {
                file.Position = 0;
                file.Write(block);
                long started = Stopwatch.GetTimestamp();
                file.Flush(flushToDisk: true);
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (_milliseconds)
                {
                    _milliseconds.Add(ms);
                }

                _stop.Token.WaitHandle.WaitOne(IntervalMilliseconds);
            }
        }
        catch (IOException)
        {
            // The data directory went away (the run is ending): the syncs timed so far are the result.
        }
    }

    /// <summary>Stops the probe and summarises its syncs: count, median, slowest, and how many took over 10 ms.</summary>
    public async Task<Result> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }

        double[] sorted;
        lock (_milliseconds)
        {
            sorted = [.. _milliseconds.Order()];
        }

        return sorted.Length == 0 ? new Result(0, double.NaN, double.NaN, 0)
            : new Result(sorted.Length, sorted[sorted.Length / 2], sorted[^1], sorted.Count(ms => ms > 10));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_loop.IsCompleted)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    public sealed record Result(int Count, double MedianMs, double MaxMs, int Over10Ms)
    {
        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"# disk sync probe in the window (4 KiB write + fsync every {IntervalMilliseconds} ms): {Count} syncs, median {MedianMs:F2} ms, " +
            $"slowest {MaxMs:F1} ms, {Over10Ms} over 10 ms");
    }
}
