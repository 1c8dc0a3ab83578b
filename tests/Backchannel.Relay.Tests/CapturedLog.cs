using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Backchannel.Relay.Tests;

/// <summary>A logger provider that keeps every line with its structured values, for tests that read the relay's log.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(_lines, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> lines, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category} {formatter(state, exception)}"
                + (state is IEnumerable<KeyValuePair<string, object?>> pairs ? " " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "")
                + exception);
    }
}
