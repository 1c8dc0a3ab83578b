using Microsoft.Extensions.Logging;

namespace Backchannel.Relay;

/// <summary>
/// How to run a relay: where it listens, where it stores, how it logs. Validated by <see cref="RelayServer.Build"/>;
/// configuration keys under <c>Relay:</c> (environment <c>Relay__Limits__…</c>) override the limits.
/// </summary>
public sealed class RelayOptions
{
    /// <summary>
    /// Addresses to listen on, e.g. <c>http://0.0.0.0:8080</c>. Port 0 picks a free port (see <see cref="RelayServer.Urls"/>);
    /// Kestrel allows it only with an IP address (<c>http://127.0.0.1:0</c>), not with <c>localhost</c>.
    /// </summary>
    public IList<string> Urls { get; set; } = ["http://127.0.0.1:8080"];

    /// <summary>Everything the relay stores lives under this directory (created if missing); relative to the current directory.</summary>
    public string DataDirectory { get; set; } = "relay-data";

    /// <summary>The storage backend; SQLite unless a test or demo wants memory.</summary>
    public RelayStorageKind Storage { get; set; } = RelayStorageKind.Sqlite;

    /// <summary>The documented bounds.</summary>
    public RelayLimits Limits { get; set; } = new();

    /// <summary>How long stopping waits for requests and sockets to finish; below the 30 s a SIGTERM allows.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Lowest level written to the log (stderr); <see cref="LogLevel.None"/> for silence.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>Whether the relay stops by itself on SIGINT/SIGTERM (set false when the host handles signals).</summary>
    public bool HandleProcessSignals { get; set; } = true;

    /// <summary>Replaces the default logging (console on stderr) when set.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>The clock; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The TLS certificate for <c>https://</c> URLs (required when any URL is https): a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>,
    /// with <see cref="CertificatePassword"/> if it has one), or a PEM certificate whose private key is in
    /// <see cref="CertificateKeyPath"/> or in the same file. Clients pin <see cref="RelayServer.CertificatePin"/>.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PKCS#12 password, or the password of an encrypted PEM key; null for none.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>; null when the key is in the certificate file or it is PKCS#12.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// A file holding the sender-certificate trust root's public key (33 bytes, raw or base64), used instead of
    /// <c>DATA/trust-root.pub</c>; lets an operator keep <c>trust-root.key</c> offline once <c>server.cert</c> exists.
    /// </summary>
    public string? TrustRootPublicKeyFile { get; set; }

    internal IEnumerable<string> Validate()
    {
        if (Urls is null || Urls.Count == 0)
        {
            yield return "Urls must name at least one address.";
        }
        else
        {
            foreach (string url in Urls)
            {
                // Kestrel also takes hosts Uri does not ("http://*:80", "http://+:80"), so only the scheme is checked.
                if (string.IsNullOrWhiteSpace(url)
                    || !(url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                {
                    yield return $"Urls: '{url}' is not an http(s) URL.";
                }
            }
        }

        if (Storage == RelayStorageKind.Sqlite && string.IsNullOrWhiteSpace(DataDirectory))
        {
            yield return "DataDirectory must be set for SQLite storage.";
        }

        if (!Enum.IsDefined(Storage))
        {
            yield return "Storage is not a known backend.";
        }

        if (ShutdownTimeout <= TimeSpan.Zero || ShutdownTimeout > TimeSpan.FromSeconds(29))
        {
            yield return "ShutdownTimeout must be between 0 and 29 seconds.";
        }

        if (Limits is null)
        {
            yield return "Limits must be set.";
        }
        else
        {
            foreach (string error in Limits.Validate())
            {
                yield return error;
            }
        }

        if (TimeProvider is null)
        {
            yield return "TimeProvider must be set.";
        }

        if (Urls is not null && Urls.Any(u => u?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true) && string.IsNullOrWhiteSpace(CertificatePath))
        {
            yield return "CertificatePath must be set to serve https:// URLs.";
        }

        foreach ((string name, string? path) in new[] { (nameof(CertificatePath), CertificatePath), (nameof(CertificateKeyPath), CertificateKeyPath), (nameof(TrustRootPublicKeyFile), TrustRootPublicKeyFile) })
        {
            if (path is not null && !File.Exists(path))
            {
                yield return $"{name}: '{path}' does not exist.";
            }
        }
    }
}
