namespace Backchannel.Interop.PeerDotnet;

/// <summary>A malformed request: answered with the error kind BadRequest.</summary>
internal sealed class BadRequestException(string message) : Exception(message);
