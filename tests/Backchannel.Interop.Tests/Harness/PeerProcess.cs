using System.Buffers;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Backchannel.Interop.Tests.Harness;

/// <summary>
/// One running peer executable speaking the JSON-lines contract of DESIGN.md §4.1. Requests are numbered and
/// written in the order <see cref="SendAsync"/> is called (the peer executes them in that order), answers are
/// matched by id, and up to <see cref="MaxOutstanding"/> requests may be in flight, so a caller may send many
/// before awaiting any. Standard error is drained all the time; its tail goes into every failure message.
/// A peer that dies, stalls or breaks the framing fails every request still open, and every later one.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    /// <summary>The contract lets a harness have this many requests outstanding.</summary>
    public const int MaxOutstanding = 128;

    /// <summary>The contract's bound for the first answer: a peer may build or install what it needs first.</summary>
    public static readonly TimeSpan FirstAnswerTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The contract's bound for every later answer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private const int StderrLinesKept = 200;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Process process;
    private readonly TimeSpan firstAnswerTimeout;
    private readonly TimeSpan answerTimeout;
    private readonly Channel<PendingRequest> queue =
        Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, PendingRequest> outstanding = new();
    private readonly SemaphoreSlim slots = new(MaxOutstanding, MaxOutstanding);
    private readonly Queue<string> stderrTail = new();
    private readonly Lock enqueueLock = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource broken = new();
    private readonly Task writer;
    private readonly Task reader;
    private readonly Task stderrReader;
    private readonly Task watchdog;
    private long nextId;
    private long firstAnswerTicks = -1;
    private PeerFailureException? failure;
    private volatile bool disposing;

    private PeerProcess(string label, Process process, TimeSpan firstAnswerTimeout, TimeSpan answerTimeout)
    {
        this.process = process;
        this.firstAnswerTimeout = firstAnswerTimeout;
        this.answerTimeout = answerTimeout;
        Label = $"{label} (pid {process.Id})";
        stderrReader = Task.Run(DrainStderrAsync);
        reader = Task.Run(ReadLoopAsync);
        writer = Task.Run(WriteLoopAsync);
        watchdog = Task.Run(WatchdogAsync);
    }

    /// <summary>Names the process in failure messages, e.g. <c>libsignal#1 (pid 4242)</c>.</summary>
    public string Label { get; }

    /// <summary>False once the process died, stalled or was disposed; a pool then starts a new one.</summary>
    public bool IsUsable => Volatile.Read(ref failure) is null && !disposing;

    /// <summary>Starts the peer of the given kind; fails with a clear message when its executable is missing.</summary>
    public static PeerProcess Start(PeerKind kind, string label) =>
        StartExecutable($"The {kind} interop peer", PeerLocator.RelativePath(kind), PeerLocator.ExecutablePath(kind), label);

    internal static PeerProcess StartExecutable(string what, string relative, string path, string label)
    {
        if (!File.Exists(path))
        {
            throw new PeerFailureException(
                $"{what} is missing: no executable at {relative} (looked at {path}). "
                + "DESIGN.md §4.1 requires it; every test that needs this peer fails until it exists.");
        }

        if (!OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw new PeerFailureException($"{what} {relative} exists but is not executable (chmod +x it).");
        }

        return Launch(label, path, [], $"{what} {relative}", FirstAnswerTimeout, AnswerTimeout);
    }

    /// <summary>Starts any command as a peer, with its own time bounds; for the harness's own tests.</summary>
    internal static PeerProcess StartCommand(string label, string shellCommand, TimeSpan? firstAnswerTimeout = null, TimeSpan? answerTimeout = null) =>
        Launch(label, "/bin/sh", ["-c", shellCommand], $"The command {shellCommand}", firstAnswerTimeout ?? FirstAnswerTimeout, answerTimeout ?? AnswerTimeout);

    private static PeerProcess Launch(string label, string fileName, string[] arguments, string what, TimeSpan firstAnswerTimeout, TimeSpan answerTimeout)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var start = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = utf8,
            StandardOutputEncoding = utf8,
            StandardErrorEncoding = utf8,
            WorkingDirectory = PeerLocator.RepoRoot,
        };

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            throw new PeerFailureException($"{what} could not be started: {e.Message}", e);
        }

        return process is null
            ? throw new PeerFailureException($"{what} could not be started.")
            : new PeerProcess(label, process, firstAnswerTimeout, answerTimeout);
    }

    /// <summary>
    /// Queues <c>{"id", "op", ...fields}</c> and returns its answer. The request's place in the peer's order is
    /// fixed when this returns, so several calls followed by one <c>Task.WhenAll</c> pipeline them.
    /// </summary>
    public Task<PeerResponse> SendAsync(string op, JsonObject? fields = null) =>
        Enqueue(op, id => BuildLine(id, op, fields));

    /// <summary>Queues a hand-made line (for malformed requests); <paramref name="line"/> gets the id to use.</summary>
    public Task<PeerResponse> SendRawAsync(string op, Func<long, string> line) => Enqueue(op, line);

    /// <summary>The last lines the peer wrote to standard error.</summary>
    public string StderrTail()
    {
        lock (stderrTail)
        {
            return stderrTail.Count == 0 ? "(nothing)" : string.Join('\n', stderrTail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposing)
        {
            return;
        }

        disposing = true;
        queue.Writer.TryComplete();
        try
        {
            await writer.WaitAsync(TimeSpan.FromSeconds(5));
            process.StandardInput.Close();
        }
        catch (Exception e) when (e is TimeoutException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is going away anyway; end of input is only the polite way to say so.
        }

        using (var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await process.WaitForExitAsync(exitWait.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        Fail(new PeerFailureException($"{Label} was shut down while requests were outstanding."));
        await Task.WhenAll(writer, reader, stderrReader, watchdog)
            .WaitAsync(TimeSpan.FromSeconds(5))
            .ContinueWith(_ => { }, TaskScheduler.Default);
        process.Dispose();
    }

    private Task<PeerResponse> Enqueue(string op, Func<long, string> line)
    {
        PendingRequest request;
        lock (enqueueLock)
        {
            if (Volatile.Read(ref failure) is { } failed)
            {
                return Task.FromException<PeerResponse>(failed);
            }

            var id = ++nextId;
            request = new PendingRequest(id, op, line(id));
            if (!queue.Writer.TryWrite(request))
            {
                return Task.FromException<PeerResponse>(
                    Volatile.Read(ref failure) ?? new PeerFailureException($"{Label} is shut down."));
            }
        }

        return request.Answer.Task;
    }

    private static string BuildLine(long id, string op, JsonObject? fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("op", op);
            foreach (var (name, value) in fields ?? [])
            {
                json.WritePropertyName(name);
                if (value is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    value.WriteTo(json);
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private async Task WriteLoopAsync()
    {
        var stdin = process.StandardInput;
        stdin.AutoFlush = false;
        stdin.NewLine = "\n";
        try
        {
            while (await queue.Reader.WaitToReadAsync())
            {
                while (queue.Reader.TryRead(out var request))
                {
                    if (!slots.Wait(0))
                    {
                        // Everything written so far must reach the peer before we wait for its answers.
                        await stdin.FlushAsync();
                        await slots.WaitAsync(broken.Token);
                    }

                    if (Volatile.Read(ref failure) is { } failed)
                    {
                        request.Answer.TrySetException(failed);
                        continue;
                    }

                    request.WrittenTicks = clock.ElapsedTicks;
                    outstanding[request.Id] = request;
                    if (Volatile.Read(ref failure) is { } lateFailure && outstanding.TryRemove(request.Id, out _))
                    {
                        // Failed between the check above and the registration: nobody else will fail it.
                        request.Answer.TrySetException(lateFailure);
                        continue;
                    }

                    await stdin.WriteLineAsync(request.Line);
                }

                await stdin.FlushAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // The peer failed while we waited for room; the queue is failed below.
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(await DescribeAsync($"writing to {Label} failed ({e.Message}); it has probably exited.", e));
        }

        // Whatever is still queued never reached the peer.
        while (queue.Reader.TryRead(out var left))
        {
            left.Answer.TrySetException(Volatile.Read(ref failure) ?? new PeerFailureException($"{Label} is shut down."));
        }
    }

    private async Task ReadLoopAsync()
    {
        var stdout = process.StandardOutput;
        try
        {
            while (await stdout.ReadLineAsync() is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                if (!TryMatch(line, out var problem))
                {
                    Fail(await DescribeAsync($"{Label} broke the JSON-lines contract: {problem}"));
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Treated like end of output below.
        }

        if (disposing)
        {
            return;
        }

        string exit;
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await process.WaitForExitAsync(wait.Token);
            exit = $"exited with code {process.ExitCode}";
        }
        catch (OperationCanceledException)
        {
            exit = "closed its standard output but did not exit";
        }

        var open = outstanding.Values.OrderBy(r => r.Id).FirstOrDefault();
        var what = open is null ? "" : $" while {open.Op} (id {open.Id}) was outstanding";
        Fail(await DescribeAsync($"{Label} {exit}{what}."));
    }

    private bool TryMatch(string line, out string problem)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            problem = $"a line that is not JSON ({e.Message}): {Truncate(line)}";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("id", out var idElement)
            || !idElement.TryGetInt64(out var id))
        {
            problem = $"an answer without a numeric id: {Truncate(line)}";
            return false;
        }

        if (!outstanding.TryRemove(id, out var request))
        {
            problem = $"an answer to id {id}, which is not outstanding: {Truncate(line)}";
            return false;
        }

        Interlocked.CompareExchange(ref firstAnswerTicks, clock.ElapsedTicks, -1);
        slots.Release();
        request.Answer.TrySetResult(new PeerResponse(Label, request.Op, id, root));
        problem = "";
        return true;
    }

    private async Task DrainStderrAsync()
    {
        try
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    while (stderrTail.Count > StderrLinesKept)
                    {
                        stderrTail.Dequeue();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process is gone; what we have is the tail.
        }
    }

    /// <summary>Fails the oldest outstanding request once it is past the contract's bound.</summary>
    private async Task WatchdogAsync()
    {
        try
        {
            while (!broken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), broken.Token);
                var oldest = outstanding.Values.MinBy(r => r.Id);
                if (oldest is null)
                {
                    continue;
                }

                var firstAnswer = Interlocked.Read(ref firstAnswerTicks);
                TimeSpan deadline, limit;
                if (firstAnswer < 0)
                {
                    limit = firstAnswerTimeout;
                    deadline = Max(limit, Ticks(oldest.WrittenTicks) + answerTimeout);
                }
                else
                {
                    limit = answerTimeout;
                    deadline = Max(Ticks(oldest.WrittenTicks), Ticks(firstAnswer)) + answerTimeout;
                }

                if (clock.Elapsed > deadline)
                {
                    Fail(await DescribeAsync(
                        $"{Label} did not answer {oldest.Op} (id {oldest.Id}) within {limit.TotalSeconds:0} s "
                        + $"({(firstAnswer < 0 ? "first answer" : "later answers")}, DESIGN.md §4.1). Request: {Truncate(oldest.Line)}"));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Failed or disposed: nothing left to watch.
        }
    }

    private void Fail(PeerFailureException reason)
    {
        if (Interlocked.CompareExchange(ref failure, reason, null) is not null)
        {
            return;
        }

        queue.Writer.TryComplete();
        broken.Cancel();
        foreach (var request in outstanding.Values)
        {
            request.Answer.TrySetException(reason);
        }

        outstanding.Clear();
        if (!disposing)
        {
            Kill();
        }
    }

    private async Task<PeerFailureException> DescribeAsync(string reason, Exception? inner = null)
    {
        // Let the stderr drain catch up so the tail shows why the peer went wrong.
        await Task.WhenAny(stderrReader, Task.Delay(TimeSpan.FromMilliseconds(500)));
        var message = $"{reason}\n--- last lines of {Label} stderr ---\n{StderrTail()}";
        return inner is null ? new PeerFailureException(message) : new PeerFailureException(message, inner);
    }

    private void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static TimeSpan Ticks(long stopwatchTicks) =>
        TimeSpan.FromSeconds(stopwatchTicks / (double)Stopwatch.Frequency);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Truncate(string text) => text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "…");

    private sealed class PendingRequest(long id, string op, string line)
    {
        public long Id { get; } = id;

        public string Op { get; } = op;

        public string Line { get; } = line;

        public long WrittenTicks { get; set; }

        public TaskCompletionSource<PeerResponse> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
