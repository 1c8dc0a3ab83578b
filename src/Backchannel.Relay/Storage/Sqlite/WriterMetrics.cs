using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// How long writes wait for the SQLite writer and how long its group commits take (meter <c>Backchannel.Relay.Storage</c>,
/// read with <c>dotnet-counters monitor --counters Backchannel.Relay.Storage</c>): the relay's share of a send's
/// latency between receiving it and answering it. Recording costs nothing while no listener is attached.
/// </summary>
internal static class WriterMetrics
{
    public const string MeterName = "Backchannel.Relay.Storage";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>(
        "backchannel.storage.write.queue_wait", "ms", "From a write being queued to its group commit starting.");

    private static readonly Histogram<double> Commit = Meter.CreateHistogram<double>(
        "backchannel.storage.write.commit_duration", "ms", "From a group commit starting to its transaction being durable (the writes' work, COMMIT and the WAL sync).");

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "backchannel.storage.write.batch_size", "{write}", "Writes committed together.");

    public static bool Enabled => QueueWait.Enabled || Commit.Enabled || BatchSize.Enabled;

    public static void BatchStarted(long queuedAt, long startedAt)
    {
        if (QueueWait.Enabled)
        {
            QueueWait.Record(Stopwatch.GetElapsedTime(queuedAt, startedAt).TotalMilliseconds);
        }
    }

    public static void BatchCommitted(long startedAt, int writes)
    {
        if (Commit.Enabled)
        {
            Commit.Record(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds);
        }

        if (BatchSize.Enabled)
        {
            BatchSize.Record(writes);
        }
    }
}
