using System.Text.Json.Serialization;

namespace Backchannel.Client.Relay;

/// <summary>Wire body of docs/relay-api.md; bytes are standard base64.</summary>
internal sealed record UploadKeysRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PreKeyDto? SignedPreKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PreKeyDto? KyberLastResortPreKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<PreKeyDto>? PreKeys,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<PreKeyDto>? KyberPreKeys);
