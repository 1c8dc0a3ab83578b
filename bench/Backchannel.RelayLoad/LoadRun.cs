using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Backchannel.RelayLoad;

/// <summary>Counts shared by the clients of one run. Latency is recorded for messages due inside the measured window.</summary>
internal sealed class RunCounters(int clients, long measureStart, long measureEnd)
{
    private readonly List<long>[] _latencies = Enumerable.Range(0, clients).Select(_ => new List<long>(1024)).ToArray();
    private readonly List<Arrival>[] _arrivals = Enumerable.Range(0, clients).Select(_ => new List<Arrival>(1024)).ToArray();
    private long _sentMeasured;
    private long _sentTotal;
    private long _deliveredInWindow;
    private long _deliveredTotal;
    private long _latencyCount;
    private string? _firstNote;
    private long _notes;

    public int Clients => clients;
    public long SentMeasured => Interlocked.Read(ref _sentMeasured);
    public long SentTotal => Interlocked.Read(ref _sentTotal);
    public long DeliveredInWindow => Interlocked.Read(ref _deliveredInWindow);
    public long DeliveredTotal => Interlocked.Read(ref _deliveredTotal);
    public long LatencyCount => Interlocked.Read(ref _latencyCount);
    public string? FirstNote => _firstNote;
    public long Notes => Interlocked.Read(ref _notes);

    public void CountSent(long due)
    {
        Interlocked.Increment(ref _sentTotal);
        if (due >= measureStart && due < measureEnd)
        {
            Interlocked.Increment(ref _sentMeasured);
        }
    }

    /// <summary>
    /// Called from one client's receive loop only, so its lists need no lock. <paramref name="sender"/> (the sending
    /// client's index) and <paramref name="k"/> name the message on the sending side; <paramref name="received"/> is
    /// when its frame was read.
    /// </summary>
    public void CountDelivered(int client, long due, long decrypted, int sender, long k, long received)
    {
        Interlocked.Increment(ref _deliveredTotal);
        if (decrypted >= measureStart && decrypted < measureEnd)
        {
            Interlocked.Increment(ref _deliveredInWindow);
        }

        if (due >= measureStart && due < measureEnd)
        {
            _latencies[client].Add(decrypted - due);
            _arrivals[client].Add(new Arrival(sender, k, due, received, decrypted));
            Interlocked.Increment(ref _latencyCount);
        }
    }

    public void Note(string note)
    {
        Interlocked.CompareExchange(ref _firstNote, note, null);
        Interlocked.Increment(ref _notes);
    }

    /// <summary>Every message due in the window that arrived, with where it was when (read after the run only).</summary>
    public IEnumerable<Arrival> Arrivals() => _arrivals.SelectMany(a => a);

    public long[] SortedLatencies()
    {
        long[] all = _latencies.SelectMany(l => l.ToArray()).ToArray();
        Array.Sort(all);
        return all;
    }
}

/// <summary>One run at one offered rate against a fresh relay.</summary>
internal static class LoadRun
{
    public static async Task<RunResult> RunAsync(LoadOptions o, double rate, CancellationToken ct)
    {
        string loadBefore = MachineFacts.LoadAverage();
        await using RelayProcess relay = await RelayProcess.StartAsync(o.RelayDll, o.DataParent, ct).ConfigureAwait(false);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var clients = Enumerable.Range(0, o.Clients).Select(i => new SimClient(http, relay.Url, i, o.OpaqueContent, o.AckEach, o.PushEach, o.SocketSend)).ToList();
        try
        {
            // Set-up (not measured): accounts, sessions with P peers each (a ring), WebSockets.
            var setup = Stopwatch.StartNew();
            await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (c, t) => await c.RegisterAsync(t).ConfigureAwait(false)).ConfigureAwait(false);
            int half = Math.Max(1, o.PeersPerClient / 2);
            var pairs = new HashSet<(int, int)>();
            for (int i = 0; i < o.Clients; i++)
            {
                for (int d = 1; d <= half; d++)
                {
                    int j = (i + d) % o.Clients;
                    if (i != j && pairs.Add((Math.Min(i, j), Math.Max(i, j))))
                    {
                        clients[i].Peers.Add(clients[j]);
                        clients[j].Peers.Add(clients[i]);
                    }
                }
            }

            await Parallel.ForEachAsync(pairs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (p, t) => await clients[p.Item1].EstablishSessionAsync(clients[p.Item2], t).ConfigureAwait(false)).ConfigureAwait(false);
            await Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
                async (c, t) => await c.ConnectAsync(t).ConfigureAwait(false)).ConfigureAwait(false);
            await Task.Delay(500, ct).ConfigureAwait(false);
            double setupSeconds = setup.Elapsed.TotalSeconds;

            // Load: warm-up, then the measured window; then up to 10 s for messages in flight.
            long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
            long measureStart = start + o.Warmup * Stopwatch.Frequency;
            long measureEnd = measureStart + o.Seconds * Stopwatch.Frequency;
            var counters = new RunCounters(o.Clients, measureStart, measureEnd);
            foreach (SimClient c in clients)
            {
                c.Counters = counters;
            }

            double perClient = rate / o.Clients;
            Task[] senders = clients.Select(c => Task.Run(() => c.SendLoopAsync(perClient, start, measureEnd, o.PlaintextBytes, ct), ct)).ToArray();
            await WaitUntilAsync(measureStart, ct).ConfigureAwait(false);
            double cpu0 = relay.CpuSeconds();
            double machine0 = RelayProcess.MachineBusySeconds();
            TimeSpan ownCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            TimeSpan jit0 = System.Runtime.JitInfo.GetCompilationTime();
            long jitMethods0 = System.Runtime.JitInfo.GetCompiledMethodCount();
            TimeSpan gcPause0 = GC.GetTotalPauseDuration();
            int gcCount0 = GC.CollectionCount(0);
            long files0 = relay.FileBytes();
            DiskStats? disk = DiskStats.For(relay.DataDirectory);
            DiskStats.Sample? disk0 = disk?.Read();
            long diskAt0 = Stopwatch.GetTimestamp();
            await using var syncProbe = new SyncProbe(relay.DataDirectory);
            await WaitUntilAsync(measureEnd, ct).ConfigureAwait(false);
            SyncProbe.Result syncs = await syncProbe.StopAsync().ConfigureAwait(false);
            DiskStats.Sample? disk1 = disk?.Read();
            DiskStats.Window? diskWindow = disk is null || disk0 is null || disk1 is null ? null
                : DiskStats.Window.Between(disk.Name, disk0.Value, disk1.Value, Stopwatch.GetElapsedTime(diskAt0).TotalSeconds);
            double cpu1 = relay.CpuSeconds();
            double machine1 = RelayProcess.MachineBusySeconds();
            TimeSpan ownCpu1 = Process.GetCurrentProcess().TotalProcessorTime;
            TimeSpan jit1 = System.Runtime.JitInfo.GetCompilationTime();
            long jitMethods1 = System.Runtime.JitInfo.GetCompiledMethodCount();
            TimeSpan gcPause1 = GC.GetTotalPauseDuration();
            int gcCount1 = GC.CollectionCount(0);
            GCMemoryInfo lastYoung = GC.GetGCMemoryInfo(GCKind.Ephemeral);
            long files1 = relay.FileBytes();
            (_, long pendingAtEnd, _) = await relay.DatabaseStatsAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(senders).ConfigureAwait(false);
            var drain = Stopwatch.StartNew();
            while (counters.LatencyCount < counters.SentMeasured && drain.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }

            long[] lat = counters.SortedLatencies();
            LatencySplit split = LatencySplit.Compute(counters.Arrivals(), clients);
            double Ms(double q) => lat.Length == 0 ? double.NaN : lat[Math.Min(lat.Length - 1, (int)Math.Ceiling(q * lat.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
            string loadAfter = MachineFacts.LoadAverage();
            long sendErrors = clients.Sum(c => Interlocked.Read(ref c.SendErrors));
            long receiveErrors = clients.Sum(c => Interlocked.Read(ref c.ReceiveErrors));

            // Storage: acknowledgements off, a burst of messages, pages in use before and after.
            double bytesPerMessage = double.NaN, fileBytesPerMessage = double.NaN, avgContent = double.NaN;
            if (o.StorageMessages > 0)
            {
                (bytesPerMessage, fileBytesPerMessage, avgContent) = await MeasureStorageAsync(relay, clients, o, ct).ConfigureAwait(false);
            }

            return new RunResult
            {
                OfferedRate = rate,
                Clients = o.Clients,
                Seconds = o.Seconds,
                SentPerSecond = counters.SentMeasured / (double)o.Seconds,
                DeliveredPerSecond = counters.DeliveredInWindow / (double)o.Seconds,
                Delivered = counters.DeliveredInWindow,
                Undelivered = counters.SentMeasured - counters.LatencyCount,
                P50 = Ms(0.50),
                P95 = Ms(0.95),
                P99 = Ms(0.99),
                Max = Ms(1.0),
                RelayCpuPercent = (cpu1 - cpu0) / o.Seconds * 100,
                LoadGenCpuPercent = (ownCpu1 - ownCpu0).TotalSeconds / o.Seconds * 100,
                LoadGenJitMilliseconds = (jit1 - jit0).TotalMilliseconds,
                LoadGenJitMethods = jitMethods1 - jitMethods0,
                LoadGenGcPauseMilliseconds = (gcPause1 - gcPause0).TotalMilliseconds,
                LoadGenGcCount = gcCount1 - gcCount0,
                Disk = diskWindow,
                Syncs = syncs,
                LoadGenLastYoungGcPromotedBytes = lastYoung.Index == 0 ? -1 : lastYoung.PromotedBytes,
                LoadGenLastYoungGcPauseMilliseconds = lastYoung.Index == 0 ? double.NaN : lastYoung.PauseDurations[0].TotalMilliseconds,
                OtherCpuPercent = ((machine1 - machine0) - (cpu1 - cpu0) - (ownCpu1 - ownCpu0).TotalSeconds) / o.Seconds * 100,
                RelayPeakRssBytes = relay.PeakRssBytes(),
                DbFileGrowthBytes = files1 - files0,
                BytesPerMessage = bytesPerMessage,
                FileBytesPerMessage = fileBytesPerMessage,
                AvgContentBytes = avgContent,
                PendingAtEnd = pendingAtEnd,
                SendErrors = sendErrors,
                ReceiveErrors = receiveErrors,
                FirstError = counters.FirstNote,
                LoadAverageBefore = loadBefore,
                LoadAverageAfter = loadAfter,
                SetupSeconds = setupSeconds,
                Split = split,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
        {
            throw new InvalidOperationException($"{e.Message}\nrelay stderr:\n{relay.StderrTail()}", e);
        }
        finally
        {
            foreach (SimClient c in clients)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<(double Pages, double Files, double AvgContent)> MeasureStorageAsync(RelayProcess relay, List<SimClient> clients, LoadOptions o, CancellationToken ct)
    {
        // Wait for the acknowledgements of the load phase to empty the mailboxes.
        var wait = Stopwatch.StartNew();
        (long used0, long pending0, _) = await relay.DatabaseStatsAsync(ct).ConfigureAwait(false);
        while (pending0 > 0 && wait.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(200, ct).ConfigureAwait(false);
            (used0, pending0, _) = await relay.DatabaseStatsAsync(ct).ConfigureAwait(false);
        }

        long files0 = relay.FileBytes();
        foreach (SimClient c in clients)
        {
            c.Ack = false;
        }

        var counters = new RunCounters(clients.Count, 0, 0);
        foreach (SimClient c in clients)
        {
            c.Counters = counters;
        }

        int perClient = Math.Max(1, o.StorageMessages / clients.Count);
        await Task.WhenAll(clients.Select(c => c.SendBurstAsync(perClient, o.PlaintextBytes, ct))).ConfigureAwait(false);
        long expected = counters.SentTotal;
        wait.Restart();
        while (counters.DeliveredTotal < expected && wait.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        (long used1, long pending1, double avg) = await relay.DatabaseStatsAsync(ct).ConfigureAwait(false);
        long files1 = relay.FileBytes();
        long stored = pending1 - pending0;
        return stored <= 0 ? (double.NaN, double.NaN, avg)
            : ((used1 - used0) / (double)stored, (files1 - files0) / (double)stored, avg);
    }

    private static async Task WaitUntilAsync(long timestamp, CancellationToken ct)
    {
        long now = Stopwatch.GetTimestamp();
        if (timestamp > now)
        {
            await Task.Delay(TimeSpan.FromSeconds((timestamp - now) / (double)Stopwatch.Frequency), ct).ConfigureAwait(false);
        }
    }
}

/// <summary>The figures of one run: a table row and a JSON line.</summary>
internal sealed class RunResult
{
    public const string Header =
        "| offered/s | sent/s | delivered/s | p50 ms | p95 ms | p99 ms | max ms | relay CPU % | loadgen CPU % | other CPU % | relay peak RSS MiB | pending at end | bytes/msg (pages) | bytes/msg (files) | errors | load avg before→after |\n" +
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |";

    public double OfferedRate { get; init; }
    public int Clients { get; init; }
    public int Seconds { get; init; }
    public double SentPerSecond { get; init; }
    public double DeliveredPerSecond { get; init; }
    public long Delivered { get; init; }
    public long Undelivered { get; init; }
    public double P50 { get; init; }
    public double P95 { get; init; }
    public double P99 { get; init; }
    public double Max { get; init; }
    public double RelayCpuPercent { get; init; }
    public double LoadGenCpuPercent { get; init; }
    /// <summary>
    /// Time the load generator's JIT spent compiling during the window, and how many methods: a window that starts
    /// before tiered compilation has settled charges start-up work to the steady state.
    /// </summary>
    public double LoadGenJitMilliseconds { get; init; }
    public long LoadGenJitMethods { get; init; }

    /// <summary>The load generator's garbage collections in the window (all generations) and the time they paused it.</summary>
    public double LoadGenGcPauseMilliseconds { get; init; }
    public int LoadGenGcCount { get; init; }

    /// <summary>
    /// The generator's last gen0/gen1 collection before the window's end: bytes it promoted and its pause. What a
    /// young collection costs is mostly what it promotes; -1 / NaN when there was none.
    /// </summary>
    public long LoadGenLastYoungGcPromotedBytes { get; init; }
    public double LoadGenLastYoungGcPauseMilliseconds { get; init; }
    /// <summary>CPU the rest of the machine used in the window (other processes, interrupts), 100 = one core.</summary>
    public double OtherCpuPercent { get; init; }
    public long RelayPeakRssBytes { get; init; }
    public long DbFileGrowthBytes { get; init; }
    public double BytesPerMessage { get; init; }
    public double FileBytesPerMessage { get; init; }
    public double AvgContentBytes { get; init; }
    /// <summary>Messages stored and not yet acknowledged at the end of the window (acks the relay has not caught up with, plus those in flight).</summary>
    public long PendingAtEnd { get; init; }
    public long SendErrors { get; init; }
    public long ReceiveErrors { get; init; }
    public string? FirstError { get; init; }
    public string LoadAverageBefore { get; init; } = "";
    public string LoadAverageAfter { get; init; } = "";
    public double SetupSeconds { get; init; }
    public LatencySplit? Split { get; init; }

    /// <summary>The relay's disk in the window, or null where it cannot be read.</summary>
    public DiskStats.Window? Disk { get; init; }

    /// <summary>The sync probe's timings in the window (<see cref="SyncProbe"/>).</summary>
    public SyncProbe.Result? Syncs { get; init; }

    private string Offered => double.IsPositiveInfinity(OfferedRate) ? "max" : OfferedRate.ToString("N0", CultureInfo.InvariantCulture);

    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Offered} | {SentPerSecond:N0} | {DeliveredPerSecond:N0} | {P50:F1} | {P95:F1} | {P99:F1} | {Max:F1} | {RelayCpuPercent:F0} | {LoadGenCpuPercent:F0} | {OtherCpuPercent:F0} | " +
        $"{RelayPeakRssBytes / 1048576.0:F0} | {PendingAtEnd} | {BytesPerMessage:F0} | {FileBytesPerMessage:F0} | {SendErrors + ReceiveErrors + Undelivered} | {LoadAverageBefore} → {LoadAverageAfter} |");

    public JsonObject Json() => new()
    {
        ["offeredPerSecond"] = double.IsPositiveInfinity(OfferedRate) ? "max" : OfferedRate,
        ["clients"] = Clients,
        ["seconds"] = Seconds,
        ["sentPerSecond"] = Math.Round(SentPerSecond, 1),
        ["deliveredPerSecond"] = Math.Round(DeliveredPerSecond, 1),
        ["delivered"] = Delivered,
        ["undelivered"] = Undelivered,
        ["p50Ms"] = Num(P50),
        ["p95Ms"] = Num(P95),
        ["p99Ms"] = Num(P99),
        ["maxMs"] = Num(Max),
        ["relayCpuPercent"] = Math.Round(RelayCpuPercent, 1),
        ["loadGeneratorCpuPercent"] = Math.Round(LoadGenCpuPercent, 1),
        ["loadGeneratorJitMs"] = Math.Round(LoadGenJitMilliseconds, 1),
        ["loadGeneratorJitMethods"] = LoadGenJitMethods,
        ["loadGeneratorGcCount"] = LoadGenGcCount,
        ["loadGeneratorGcPauseMs"] = Math.Round(LoadGenGcPauseMilliseconds, 1),
        ["loadGeneratorLastYoungGcPromotedBytes"] = LoadGenLastYoungGcPromotedBytes,
        ["loadGeneratorLastYoungGcPauseMs"] = Num(LoadGenLastYoungGcPauseMilliseconds),
        ["syncProbe"] = Syncs is null ? null : new JsonObject
        {
            ["count"] = Syncs.Count,
            ["medianMs"] = Num(Syncs.MedianMs),
            ["maxMs"] = Num(Syncs.MaxMs),
            ["over10Ms"] = Syncs.Over10Ms,
        },
        ["disk"] = Disk is null ? null : new JsonObject
        {
            ["device"] = Disk.Device,
            ["writesPerSecond"] = Math.Round(Disk.WritesPerSecond, 1),
            ["writeAverageMs"] = Num(Disk.WriteAverageMs),
            ["flushesPerSecond"] = Math.Round(Disk.FlushesPerSecond, 1),
            ["flushAverageMs"] = Num(Disk.FlushAverageMs),
            ["busyPercent"] = Math.Round(Disk.BusyPercent, 1),
        },
        ["otherCpuPercent"] = Math.Round(OtherCpuPercent, 1),
        ["relayPeakRssBytes"] = RelayPeakRssBytes,
        ["dbFileGrowthBytesDuringWindow"] = DbFileGrowthBytes,
        ["bytesPerMessagePages"] = Num(BytesPerMessage),
        ["bytesPerMessageFiles"] = Num(FileBytesPerMessage),
        ["avgContentBytes"] = Num(AvgContentBytes),
        ["pendingAtEnd"] = PendingAtEnd,
        ["sendErrors"] = SendErrors,
        ["receiveErrors"] = ReceiveErrors,
        ["firstError"] = FirstError,
        ["loadAverageBefore"] = LoadAverageBefore,
        ["loadAverageAfter"] = LoadAverageAfter,
        ["setupSeconds"] = Math.Round(SetupSeconds, 1),
        ["latencySplit"] = Split?.Json(),
    };

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 2));
}
