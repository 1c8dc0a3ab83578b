namespace Backchannel.Relay;

/// <summary>Where the relay keeps accounts, prekeys and mailboxes.</summary>
public enum RelayStorageKind
{
    /// <summary>One SQLite file, <c>relay.db</c>, in <see cref="RelayOptions.DataDirectory"/> (the default).</summary>
    Sqlite,

    /// <summary>Process memory: gone when the relay stops. For tests and throw-away demos.</summary>
    InMemory,
}
