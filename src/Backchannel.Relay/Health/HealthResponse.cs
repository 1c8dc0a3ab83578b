namespace Backchannel.Relay.Health;

/// <summary>Answer of <c>GET /health</c>.</summary>
internal sealed record HealthResponse(string Status);
