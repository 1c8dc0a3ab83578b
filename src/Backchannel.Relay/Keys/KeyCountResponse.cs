namespace Backchannel.Relay.Keys;

/// <summary>Answer of <c>GET /v1/keys/count</c>.</summary>
internal sealed record KeyCountResponse(int PreKeys, int KyberPreKeys);
