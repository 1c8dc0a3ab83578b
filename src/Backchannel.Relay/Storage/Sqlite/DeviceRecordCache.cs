using System.Collections.Concurrent;

namespace Backchannel.Relay.Storage.Sqlite;

/// <summary>
/// The device records that every authenticated request and every send looks up, kept in memory so that a lookup
/// needs no SQLite statement. Owns only the copies: the database stays the truth, and every change of a device row
/// (removal, last-seen day) invalidates its copy right after the commit that made it, before the change is answered,
/// so a removed device is refused from the moment its removal is acknowledged.
/// A lookup that read the database while a change was committed does not put its (possibly old) record in: each
/// change bumps a generation, and a record is added only if the generation is the one seen before the read.
/// Unknown devices are not cached (a wrong address costs a statement, as before). Assumes this process is the only
/// one changing the devices table (the relay owns its data directory).
/// </summary>
internal sealed class DeviceRecordCache
{
    /// <summary>Most records kept; beyond it lookups go to the database (about 200 bytes each, ~10 MB at most).</summary>
    public const int Capacity = 50_000;

    private readonly ConcurrentDictionary<DeviceAddress, DeviceRecord> _records = new();
    private readonly Lock _gate = new();
    private long _generation;

    /// <summary>The generation to pass to <see cref="Add"/>: read it before reading the database.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(DeviceAddress device, out DeviceRecord? record) => _records.TryGetValue(device, out record);

    /// <summary>Keeps <paramref name="record"/>, read from the database after <paramref name="generation"/> was taken, unless a device changed since.</summary>
    public void Add(DeviceRecord record, long generation)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            if (_generation == generation && _records.Count < Capacity)
            {
                _records[record.Address] = record;
            }
        }
    }

    /// <summary>Drops the copy of <paramref name="device"/>; call after the commit that changed its row.</summary>
    public void Invalidate(DeviceAddress device)
    {
        lock (_gate)
        {
            _generation++;
            _records.TryRemove(device, out _);
        }
    }
}
