using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backchannel.RelayLoad;

/// <summary>
/// Relay load test: <c>dotnet run -c Release --project bench/Backchannel.RelayLoad -- --clients 50 --rate 5000 --seconds 10</c>,
/// or <c>--curve</c> for several rates. Loopback only; at most 500 clients and 60 s per phase.
/// </summary>
internal static class Program
{
    public const int MaxClients = 500;
    public const int MaxSeconds = 60;

    /// <summary>JIT time in the window above this share of it means the warm-up was too short (1%).</summary>
    private const double JitBusyFraction = 0.01;

    public static async Task<int> Main(string[] args)
    {
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(LoadOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(LoadOptions.Usage);
            return 0;
        }

        if (options.MinThreads > 0)
        {
            ThreadPool.SetMinThreads(options.MinThreads, options.MinThreads);
        }

        Console.WriteLine($"# relay load test, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {MachineFacts.Describe()}");
        Console.WriteLine($"# relay: {options.RelayDll}; clients {options.Clients}, peers per client {options.PeersPerClient}, generator min threads {options.MinThreads}, " +
                          $"warmup {options.Warmup} s, measured {options.Seconds} s, " +
                          (options.OpaqueContent ? "opaque content (227 random bytes, no Signal encryption or decryption)" : $"plaintext {options.PlaintextBytes} B") +
                          (options.AckEach ? ", one ack frame per message" : ", acks batched per frame") +
                          (options.PushEach ? ", one pushed frame per message" : ", pushes batched per frame") +
                          (options.SocketSend ? ", sends as frames on the socket" : ", sends as POST /v1/messages") +
                          (options.DataParent is null ? "" : $", relay data under {options.DataParent} (a diagnostic when that is a tmpfs: nothing is durable)"));
        Console.WriteLine($"# relay limits raised by environment: {string.Join(' ', RelayProcess.LimitOverrides.Select(kv => $"{kv.Key}={kv.Value}"))}");
        Console.WriteLine(RunResult.Header);

        var results = new List<RunResult>();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        foreach (double rate in options.Rates)
        {
            if (cancel.IsCancellationRequested)
            {
                break;
            }

            RunResult result = await LoadRun.RunAsync(options, rate, cancel.Token).ConfigureAwait(false);
            results.Add(result);
            Console.WriteLine(result.Row());
            string lastYoung = result.LoadGenLastYoungGcPromotedBytes < 0 ? "no young collection yet" : string.Create(CultureInfo.InvariantCulture,
                $"the last young one promoted {result.LoadGenLastYoungGcPromotedBytes / 1e6:F2} MB and paused {result.LoadGenLastYoungGcPauseMilliseconds:F1} ms");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# load generator JIT in the window: {result.LoadGenJitMethods} methods, {result.LoadGenJitMilliseconds:F0} ms; " +
                $"GC: {result.LoadGenGcCount} collections, {result.LoadGenGcPauseMilliseconds:F0} ms paused; {lastYoung}"));
            if (result.Disk is not null)
            {
                Console.WriteLine(result.Disk.Line());
            }

            if (result.Syncs is not null)
            {
                Console.WriteLine(result.Syncs.Line());
            }

            if (result.LoadGenJitMilliseconds > JitBusyFraction * options.Seconds * 1000)
            {
                Console.WriteLine("# warning: the load generator was still compiling in the window, so the figures include start-up work; " +
                                  "use a longer --warmup");
            }
            if (result.Split is not null)
            {
                Console.WriteLine(result.Split.Lines());
            }

            Console.WriteLine(result.Json().ToJsonString());
        }

        if (results.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine("# curve");
            Console.WriteLine(RunResult.Header);
            foreach (RunResult r in results)
            {
                Console.WriteLine(r.Row());
            }

            var curve = new JsonArray();
            foreach (RunResult r in results)
            {
                curve.Add(r.Json());
            }

            Console.WriteLine(new JsonObject { ["curve"] = curve }.ToJsonString());
        }

        return 0;
    }
}

/// <summary>Command-line options, validated against the bounds.</summary>
internal sealed class LoadOptions
{
    public const string Usage =
        "usage: Backchannel.RelayLoad [--clients N (2..500, default 50)] [--rate R | --curve [--rates 1000,2500,...,max]]\n" +
        "                             [--seconds S (1..60, default 10)] [--warmup W (0..60, default 20)] [--peers P (default 4)]\n" +
        "                             [--storage-messages M (default 2000, 0 to skip)] [--relay PATH/backchannel.dll]\n" +
        "                             [--opaque-content (random bytes instead of Signal encryption: the relay's own capacity)]\n" +
        "                             [--min-threads T (the generator's minimum thread-pool workers, default 32; 0 = the runtime's default)]\n" +
        "                             [--ack-each (one ack frame per message, as before 2026-11-28; default: a frame acks all received since the last)]\n" +
        "                             [--push-each (one pushed frame per message, as before 2026-11-28; default: the socket asks for ?batched=true)]\n" +
        "                             [--data-parent DIR (where the relay's data directory goes, default the temporary folder;\n" +
        "                              /dev/shm (tmpfs) takes the disk out of a diagnostic run: its syncs cost nothing, so nothing is durable)]\n" +
        "                             [--http-send (each batch as POST /v1/messages, as before 2026-11-28 11:20 UTC; default: a \"send\" frame on the client's socket)]\n" +
        "Starts its own relay on 127.0.0.1 (a separate process, fresh SQLite data directory per run).";

    public int Clients { get; private set; } = 50;
    public IReadOnlyList<double> Rates { get; private set; } = [1000];
    public int Seconds { get; private set; } = 10;
    /// <summary>
    /// Seconds of load before the window. 20 by default: with 3 (the default until 2026-11-28) the load generator was
    /// still compiling its hot paths in the window (tiered compilation with PGO: 1,300–2,200 methods and 3–6 s of JIT
    /// time in a 10-s window at 10,000/s), with 10 still 500 methods; from 15 on, a few dozen (BENCHMARKS.md).
    /// </summary>
    public int Warmup { get; private set; } = 20;
    public int PeersPerClient { get; private set; } = 4;
    public int StorageMessages { get; private set; } = 2000;
    public int PlaintextBytes { get; private set; } = 160;

    /// <summary>
    /// The generator's minimum thread-pool workers. Every worker it keeps runnable competes for the same 2 cores as
    /// the relay (one scheduling group), so this bounds how much the generator's threads crowd out the relay's writer.
    /// </summary>
    public int MinThreads { get; private set; } = Math.Max(32, Environment.ProcessorCount * 8);
    public bool Help { get; private set; }
    public bool OpaqueContent { get; private set; }

    /// <summary>One <c>{"type":"ack","id"}</c> frame per message instead of <c>{"type":"ack","ids":[…]}</c> batches.</summary>
    public bool AckEach { get; private set; }

    /// <summary>A socket without <c>?batched=true</c>: the relay pushes one frame per message.</summary>
    public bool PushEach { get; private set; }

    /// <summary>
    /// Each batch as a <c>"send"</c> frame on the client's socket, answered by a <c>"sent"</c> frame (the default);
    /// <c>--http-send</c>: as a <c>POST /v1/messages</c>. The socket saves an HTTP request per batch on both sides
    /// (BENCHMARKS.md, session of 2026-11-28 10:34 UTC).
    /// </summary>
    public bool SocketSend { get; private set; } = true;
    public string RelayDll { get; private set; } = DefaultRelayDll();

    /// <summary>
    /// Where the relay's data directory is made (<c>--data-parent</c>; null: the temporary folder). A tmpfs such as
    /// <c>/dev/shm</c> separates the relay and its clients from the disk's stalls: a diagnostic, since nothing there
    /// is durable, and the run's header says so.
    /// </summary>
    public string? DataParent { get; private set; }

    /// <summary>"max": every client sends back to back in batches of 100 (closed loop).</summary>
    public const double MaxRate = double.PositiveInfinity;

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        bool curve = false;
        string? rates = null;
        string? rate = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--clients": o.Clients = ParseInt(Next(), "--clients"); break;
                case "--rate": rate = Next(); break;
                case "--rates": rates = Next(); break;
                case "--curve": curve = true; break;
                case "--seconds": o.Seconds = ParseInt(Next(), "--seconds"); break;
                case "--warmup": o.Warmup = ParseInt(Next(), "--warmup"); break;
                case "--peers": o.PeersPerClient = ParseInt(Next(), "--peers"); break;
                case "--storage-messages": o.StorageMessages = ParseInt(Next(), "--storage-messages"); break;
                case "--plaintext-bytes": o.PlaintextBytes = ParseInt(Next(), "--plaintext-bytes"); break;
                case "--min-threads": o.MinThreads = ParseInt(Next(), "--min-threads"); break;
                case "--relay": o.RelayDll = Path.GetFullPath(Next()); break;
                case "--opaque-content": o.OpaqueContent = true; break;
                case "--ack-each": o.AckEach = true; break;
                case "--push-each": o.PushEach = true; break;
                case "--socket-send": o.SocketSend = true; break;
                case "--http-send": o.SocketSend = false; break;
                case "--data-parent": o.DataParent = Path.GetFullPath(Next()); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        if (o.Clients is < 2 or > Program.MaxClients)
        {
            throw new ArgumentException($"--clients must be 2..{Program.MaxClients}.");
        }

        if (o.Seconds is < 1 or > Program.MaxSeconds || o.Warmup is < 0 or > Program.MaxSeconds)
        {
            throw new ArgumentException($"--seconds must be 1..{Program.MaxSeconds} and --warmup 0..{Program.MaxSeconds}.");
        }

        if (o.PeersPerClient < 1)
        {
            throw new ArgumentException("--peers must be positive.");
        }

        if (o.DataParent is not null && !Directory.Exists(o.DataParent))
        {
            throw new ArgumentException($"--data-parent {o.DataParent} is not a directory.");
        }

        o.PeersPerClient = Math.Min(o.PeersPerClient, o.Clients - 1);
        if (o.MinThreads is < 0 or > 1000)
        {
            throw new ArgumentException("--min-threads must be 0..1000.");
        }

        if (o.StorageMessages is < 0 or > 100_000 || o.PlaintextBytes is < 24 or > 16_384)
        {
            throw new ArgumentException("--storage-messages must be 0..100000 and --plaintext-bytes 24..16384.");
        }

        if (curve && rate is not null)
        {
            throw new ArgumentException("Use --rate or --curve, not both.");
        }

        string list = curve ? rates ?? "1000,2500,5000,10000,20000,max" : rate ?? rates ?? "1000";
        o.Rates = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.Equals("max", StringComparison.OrdinalIgnoreCase) ? MaxRate
                : double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= 1_000_000 ? v
                : throw new ArgumentException($"Bad rate {r}: a number of messages/s (up to 1,000,000) or max."))
            .ToList();
        if (!File.Exists(o.RelayDll))
        {
            throw new ArgumentException($"No relay at {o.RelayDll}: build src/Backchannel.Cli -c Release or pass --relay.");
        }

        return o;
    }

    private static int ParseInt(string s, string name) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new ArgumentException($"{name}: not a number: {s}");

    private static string DefaultRelayDll()
    {
        // Walk up from the working directory to the repository root (Backchannel.slnx).
        for (DirectoryInfo? d = new(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Backchannel.slnx")))
            {
                return Path.Combine(d.FullName, "src", "Backchannel.Cli", "bin", "Release", "net10.0", "backchannel.dll");
            }
        }

        return Path.GetFullPath("backchannel.dll");
    }
}

/// <summary>Machine facts printed with every result.</summary>
internal static class MachineFacts
{
    public static string Describe()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        return $"{Environment.ProcessorCount} cores ({cpu}), {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}";
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
