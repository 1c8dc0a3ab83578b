namespace Backchannel.Relay.Infrastructure;

/// <summary>Account and message ids on the wire are lowercase UUID strings (docs/relay-api.md).</summary>
internal static class Ids
{
    public static bool TryParse(string? text, out Guid id)
    {
        id = Guid.Empty;
        return text is { Length: 36 }
            && Guid.TryParseExact(text, "D", out id)
            && string.Equals(text, id.ToString("D"), StringComparison.Ordinal);
    }

    public static string Format(Guid id) => id.ToString("D");
}
