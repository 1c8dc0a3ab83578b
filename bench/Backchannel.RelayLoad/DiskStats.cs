using System.Globalization;

namespace Backchannel.RelayLoad;

/// <summary>
/// The block device under the relay's data directory, read passively from <c>/proc/diskstats</c> (the kernel's
/// counters, nothing written): how many writes and cache flushes it completed in the window and how long they took
/// on average, and how busy it was. The relay answers a send only after its commit's <c>fsync</c>, so a slow phase
/// of this VM's shared disk shows in every latency figure; these counters tell such a window from a slow relay.
/// </summary>
internal sealed class DiskStats
{
    private readonly string _major;
    private readonly string _minor;

    private DiskStats(string name, string major, string minor)
    {
        Name = name;
        _major = major;
        _minor = minor;
    }

    /// <summary>The device's name in <c>/proc/diskstats</c> (e.g. <c>vda</c>).</summary>
    public string Name { get; }

    /// <summary>The device holding <paramref name="directory"/>, or null where it cannot be told (not Linux, tmpfs, overlay).</summary>
    public static DiskStats? For(string directory)
    {
        try
        {
            // mountinfo: "id parent major:minor root mountpoint ..."; the longest mount point containing the directory wins.
            string full = Path.GetFullPath(directory).TrimEnd('/') + "/";
            string? device = null;
            int best = -1;
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                string[] f = line.Split(' ');
                if (f.Length < 5)
                {
                    continue;
                }

                string mountPoint = f[4].TrimEnd('/') + "/";
                if (full.StartsWith(mountPoint, StringComparison.Ordinal) && mountPoint.Length > best)
                {
                    best = mountPoint.Length;
                    device = f[2];
                }
            }

            if (device?.Split(':') is not [string major, string minor])
            {
                return null;
            }

            string? name = DeviceFields(major, minor)?[2];
            return name is null ? null : new DiskStats(name, major, minor);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The device's counters now (see the kernel's Documentation/admin-guide/iostats.rst for the fields), or null
    /// when they cannot be read (the device went away).
    /// </summary>
    public Sample? Read()
    {
        string[]? f;
        try
        {
            f = DeviceFields(_major, _minor);
        }
        catch (IOException)
        {
            return null;
        }

        if (f is null)
        {
            return null;
        }

        long Field(int i) => i < f.Length ? long.Parse(f[i], CultureInfo.InvariantCulture) : 0;
        // After major, minor and name: 5 writes completed, 8 ms writing, 10 ms doing I/O, 16 flushes completed, 17 ms flushing.
        return new Sample(Field(7), Field(10), Field(12), Field(18), Field(19));
    }

    /// <summary>The device's line of <c>/proc/diskstats</c>, split into fields, or null when it has none.</summary>
    private static string[]? DeviceFields(string major, string minor) =>
        File.ReadLines("/proc/diskstats")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f.Length >= 14 && f[0] == major && f[1] == minor);

    public readonly record struct Sample(long Writes, long WriteMilliseconds, long BusyMilliseconds, long Flushes, long FlushMilliseconds);

    /// <summary>What the device did between two samples taken <paramref name="seconds"/> apart.</summary>
    public sealed record Window(string Device, double WritesPerSecond, double WriteAverageMs, double FlushesPerSecond, double FlushAverageMs, double BusyPercent)
    {
        public static Window Between(string device, Sample a, Sample b, double seconds)
        {
            long writes = b.Writes - a.Writes;
            long flushes = b.Flushes - a.Flushes;
            return new Window(
                device,
                writes / seconds,
                writes == 0 ? double.NaN : (b.WriteMilliseconds - a.WriteMilliseconds) / (double)writes,
                flushes / seconds,
                flushes == 0 ? double.NaN : (b.FlushMilliseconds - a.FlushMilliseconds) / (double)flushes,
                (b.BusyMilliseconds - a.BusyMilliseconds) / (seconds * 10.0));
        }

        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"# disk ({Device}) in the window: {WritesPerSecond:N0} writes/s, {WriteAverageMs:F2} ms each on average; " +
            $"{FlushesPerSecond:N0} cache flushes/s, {FlushAverageMs:F2} ms each; busy {BusyPercent:F0}% of the time");
    }
}
