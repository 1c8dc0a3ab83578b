namespace Backchannel.Client;

/// <summary>How <see cref="BackchannelClient.Open(string, ClientOpenOptions)"/> opens a device's store.</summary>
public sealed class ClientOpenOptions
{
    /// <summary>The clock (tests); the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>The HTTP handler for the relay (tests); a pinned or default handler when null.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>
    /// Asked for the passphrase that unlocks a protected store, or that protects a new one (return null for none).
    /// Called at most once per open, and only when needed.
    /// </summary>
    public Func<PassphrasePurpose, string?>? Passphrase { get; init; }
}
