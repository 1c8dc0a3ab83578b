using System.Text.Json;

namespace Backchannel.Relay.Infrastructure;

/// <summary>The one JSON dialect of the relay: web defaults (camelCase), bytes as standard base64.</summary>
internal static class RelayJson
{
    /// <summary>Options for request bodies and WebSocket frames.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the relay's settings to <paramref name="options"/> (also used for the host's response options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MaxDepth = 16;
        options.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        return options;
    }
}
