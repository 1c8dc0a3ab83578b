namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
/// <remarks>A sealed message (<paramref name="Sealed"/>) has no <paramref name="Source"/> or <paramref name="SourceDevice"/>.</remarks>
internal sealed record IncomingMessageDto(string Id, string? Source, int? SourceDevice, int Type, byte[] Content, long ServerTimestamp, bool Sealed = false);
