namespace Backchannel.EndToEnd.Tests;

/// <summary>How <see cref="RelayProcess"/> starts <c>backchannel relay</c>; a restart reuses them.</summary>
internal sealed record RelayProcessOptions
{
    /// <summary>Where it listens; port 0 picks a free port (a restart then keeps the one picked).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:0";

    /// <summary>Extra environment variables (e.g. <c>Relay__Limits__…</c>).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary><c>--log-level</c> (Trace … None); null keeps the relay's default.</summary>
    public string? LogLevel { get; init; }

    /// <summary>More arguments for <c>backchannel relay</c> (e.g. <c>--cert</c>).</summary>
    public IReadOnlyList<string>? ExtraArguments { get; init; }

    /// <summary>How long to wait for the "listening" line (a busy machine starts slowly).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
