using Microsoft.Extensions.Logging;

namespace Backchannel.Relay;

/// <summary>
/// Every log line of the relay, source-generated and structured. None carries message content, keys, credentials
/// or who talks to whom: a relay's log should be as dull to a subpoena as its database (DESIGN.md §4.3).
/// Error is for bugs only.
/// </summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Relay listening on {Urls} with {Storage} storage")]
    public static partial void RelayStarted(this ILogger logger, string urls, RelayStorageKind storage);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Database ready at {Path}")]
    public static partial void DatabaseReady(this ILogger logger, string path);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}, code {ErrorCode})")]
    public static partial void StorageUnavailable(this ILogger logger, string exceptionType, int errorCode, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Storage is read-only: a {Method} request that needs a write was answered 503")]
    public static partial void StorageReadOnly(this ILogger logger, string method);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Storage is read-only at start: serving what is stored; writes are answered 503 until it is writable again")]
    public static partial void StorageReadOnlyAtStart(this ILogger logger);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Storage is read-only: expired messages are deleted once it is writable again")]
    public static partial void ExpiryPostponedReadOnly(this ILogger logger);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Unhandled exception in {Method} {Endpoint}: a bug")]
    public static partial void UnhandledException(this ILogger logger, string method, string endpoint, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Connection lost during a {Method} request")]
    public static partial void ConnectionLost(this ILogger logger, string method);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Authentication failed: {Reason}")]
    public static partial void AuthenticationFailed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Rate limit {Limit} reached")]
    public static partial void RateLimited(this ILogger logger, string limit);

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "Account registered")]
    public static partial void AccountRegistered(this ILogger logger);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Prekeys updated: {PreKeys} one-time EC, {KyberPreKeys} one-time Kyber")]
    public static partial void PreKeysUpdated(this ILogger logger, int preKeys, int kyberPreKeys);

    [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "Bundle served for {Devices} device(s)")]
    public static partial void BundleServed(this ILogger logger, int devices);

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "Send: {Stored} stored, {Duplicates} duplicate (sealed: {Sealed})")]
    public static partial void MessagesStored(this ILogger logger, int stored, int duplicates, bool @sealed);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "Send refused: a recipient mailbox is full")]
    public static partial void MailboxFull(this ILogger logger);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "Expired {Count} message(s)")]
    public static partial void MessagesExpired(this ILogger logger, int count);

    [LoggerMessage(EventId = 33, Level = LogLevel.Debug, Message = "Access key set")]
    public static partial void AccessKeySet(this ILogger logger);

    [LoggerMessage(EventId = 34, Level = LogLevel.Debug, Message = "Sender certificate issued")]
    public static partial void SenderCertificateIssued(this ILogger logger);

    [LoggerMessage(EventId = 35, Level = LogLevel.Debug, Message = "Link token created")]
    public static partial void LinkTokenCreated(this ILogger logger);

    [LoggerMessage(EventId = 36, Level = LogLevel.Debug, Message = "Device linked as device {Device}")]
    public static partial void DeviceLinked(this ILogger logger, int device);

    [LoggerMessage(EventId = 37, Level = LogLevel.Debug, Message = "Device removed ({Messages} pending message(s) dropped)")]
    public static partial void DeviceRemoved(this ILogger logger, int messages);

    [LoggerMessage(EventId = 38, Level = LogLevel.Debug, Message = "Provisioning mailbox {Event}")]
    public static partial void Provisioning(this ILogger logger, string @event);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Sender certificate authority {State} (server key id {KeyId})")]
    public static partial void CertificateAuthorityReady(this ILogger logger, string state, uint keyId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "TLS certificate pin (base64 SHA-256 of its SubjectPublicKeyInfo): {Pin}")]
    public static partial void TlsCertificatePin(this ILogger logger, string pin);

    [LoggerMessage(EventId = 50, Level = LogLevel.Debug, Message = "WebSocket opened")]
    public static partial void WebSocketOpened(this ILogger logger);

    [LoggerMessage(EventId = 51, Level = LogLevel.Debug, Message = "WebSocket closed: {Reason}")]
    public static partial void WebSocketClosed(this ILogger logger, string reason);

    [LoggerMessage(EventId = 52, Level = LogLevel.Debug, Message = "WebSocket frame ignored: {Reason}")]
    public static partial void WebSocketFrameIgnored(this ILogger logger, string reason);
}
