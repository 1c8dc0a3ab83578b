using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Backchannel.RelayLoad;

/// <summary>
/// A relay in its own process (<c>backchannel relay --urls http://127.0.0.1:0 --json --data TMP</c>), so that its CPU
/// time (/proc/PID/stat utime+stime) and peak memory (VmHWM) are measured apart from the load generator.
/// </summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    /// <summary>
    /// The documented per-device and per-IP bounds would stop a load test at once (600 messages a minute per device,
    /// 60 registrations an hour per IP): raised for the load test only, through the relay's configuration.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LimitOverrides = new Dictionary<string, string>
    {
        ["Relay__Limits__MessagesSentPerMinute"] = "100000000",
        ["Relay__Limits__MessagesPerRecipientPerMinute"] = "100000000",
        ["Relay__Limits__RegistrationsPerIpPerHour"] = "1000000",
        ["Relay__Limits__BundleFetchesPerMinute"] = "1000000",
        ["Relay__Limits__MaxPendingMessagesPerDevice"] = "10000000",
    };

    private static readonly long ClockTicksPerSecond = 100; // USER_HZ on Linux

    private readonly Process _process;
    private readonly string _dataDirectory;
    private readonly Task _stderrPump;
    private readonly Queue<string> _stderrTail = new();

    private RelayProcess(Process process, string dataDirectory, Uri url)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        Url = url;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>The relay's data directory (its <c>--data</c>), removed when the relay is disposed.</summary>
    public string DataDirectory => _dataDirectory;

    public string DatabasePath => Path.Combine(_dataDirectory, "relay.db");

    /// <summary>Starts the relay with a new data directory under <paramref name="dataParent"/> (the temporary folder when null).</summary>
    public static async Task<RelayProcess> StartAsync(string relayDll, string? dataParent, CancellationToken cancellationToken)
    {
        string data = Path.Combine(dataParent ?? Path.GetTempPath(), "backchannel-relayload-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { relayDll, "relay", "--urls", "http://127.0.0.1:0", "--json", "--data", data })
        {
            start.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in LimitOverrides)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the relay.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        if (line is null)
        {
            string err = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException("The relay exited before listening: " + err);
        }

        using JsonDocument doc = JsonDocument.Parse(line);
        var url = new Uri(doc.RootElement.GetProperty("listening").GetString()!);
        if (!url.IsLoopback)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The relay listens on {url}, not loopback.");
        }

        _ = Task.Run(async () =>
        {
            // Keep stdout drained as well.
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is not null)
            {
            }
        }, CancellationToken.None);
        return new RelayProcess(process, data, url);
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(line);
                if (_stderrTail.Count > 20)
                {
                    _stderrTail.Dequeue();
                }
            }
        }
    }

    public string StderrTail()
    {
        lock (_stderrTail)
        {
            return string.Join('\n', _stderrTail);
        }
    }

    /// <summary>utime + stime of the relay process, in seconds.</summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name in parentheses: state is field 3; utime 14, stime 15.
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long utime = long.Parse(f[11], CultureInfo.InvariantCulture);
        long stime = long.Parse(f[12], CultureInfo.InvariantCulture);
        return (utime + stime) / (double)ClockTicksPerSecond;
    }

    /// <summary>
    /// CPU seconds the whole machine was busy (the first line of <c>/proc/stat</c>: everything but idle and iowait),
    /// so that CPU taken by processes outside this test (other containers on the same kernel) can be told apart.
    /// </summary>
    public static double MachineBusySeconds()
    {
        try
        {
            string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long busy = 0;
            for (int i = 1; i < f.Length && i <= 8; i++)
            {
                if (i is not (4 or 5))
                {
                    busy += long.Parse(f[i], CultureInfo.InvariantCulture);
                }
            }

            return busy / (double)ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Peak resident set (VmHWM), in bytes.</summary>
    public long PeakRssBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return -1;
    }

    /// <summary>relay.db plus its WAL, in bytes.</summary>
    public long FileBytes() =>
        new[] { DatabasePath, DatabasePath + "-wal" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);

    /// <summary>Pages in use (page_count - freelist_count) times page size, as the relay's connection sees them (WAL included), and the number of stored messages.</summary>
    public async Task<(long UsedBytes, long Messages, double AvgContentBytes)> DatabaseStatsAsync(CancellationToken cancellationToken)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(cs);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        async Task<long> Scalar(string sql)
        {
            await using SqliteCommand c = connection.CreateCommand();
            c.CommandText = sql;
            object? v = await c.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return v is null or DBNull ? 0 : Convert.ToInt64(v, CultureInfo.InvariantCulture);
        }

        long pages = await Scalar("PRAGMA page_count;").ConfigureAwait(false);
        long free = await Scalar("PRAGMA freelist_count;").ConfigureAwait(false);
        long size = await Scalar("PRAGMA page_size;").ConfigureAwait(false);
        long count = await Scalar("SELECT COUNT(*) FROM messages;").ConfigureAwait(false);
        await using SqliteCommand avg = connection.CreateCommand();
        avg.CommandText = "SELECT AVG(length(content)) FROM messages;";
        object? a = await avg.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return ((pages - free) * size, count, a is null or DBNull ? 0 : Convert.ToDouble(a, CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            await _stderrPump.ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
