using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Backchannel.Relay.Storage;
using Backchannel.Relay.Storage.Sqlite;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>The writer's metrics (<see cref="WriterMetrics"/>): queue wait, commit duration and batch size of each group commit.</summary>
public sealed class WriterMetricsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bc-writer-metrics-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDatabase _database;
    private readonly IMessageStore _messages;

    public WriterMetricsTests()
    {
        _database = new SqliteDatabase(_directory);
        _messages = new SqliteMessageStore(_database);
    }

    [Fact]
    public async Task A_committed_write_records_its_queue_wait_the_commit_duration_and_the_batch_size()
    {
        var seen = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WriterMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (seen)
            {
                seen.Add((instrument.Name, value));
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            lock (seen)
            {
                seen.Add((instrument.Name, value));
            }
        });
        listener.Start();

        var bob = new DeviceAddress(Guid.NewGuid(), 1);
        await _messages.StoreAsync([new NewMessage(bob, Guid.NewGuid(), new DeviceAddress(Guid.NewGuid(), 1), 1, RandomNumberGenerator.GetBytes(20), 1)], 100, default);

        lock (seen)
        {
            // Other tests' databases may record too (the meter is per process): look for at least one of each.
            Assert.Contains(seen, m => m.Name == "backchannel.storage.write.queue_wait" && m.Value >= 0);
            Assert.Contains(seen, m => m.Name == "backchannel.storage.write.commit_duration" && m.Value >= 0);
            Assert.Contains(seen, m => m.Name == "backchannel.storage.write.batch_size" && m.Value >= 1);
        }
    }

    public void Dispose()
    {
        _database.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
