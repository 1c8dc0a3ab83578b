namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record IncomingMessageDto(string Id, string? Source, int SourceDevice, int Type, byte[] Content, long ServerTimestamp);
