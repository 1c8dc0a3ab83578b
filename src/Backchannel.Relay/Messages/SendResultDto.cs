namespace Backchannel.Relay.Messages;

/// <summary>Per message: <c>"stored"</c> now, or <c>"duplicate"</c> (stored by an earlier send with the same id).</summary>
internal sealed record SendResultDto(string Id, string Status)
{
    public const string Stored = "stored";
    public const string Duplicate = "duplicate";
}
