using System.Text.Json.Serialization;

namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record PreKeyDto(uint Id, byte[] PublicKey, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte[]? Signature);
