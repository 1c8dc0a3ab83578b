using System.Text.Json;

namespace Backchannel.Interop.Tests.Harness;

/// <summary>One answer of a peer: <c>{"id", "ok": true, ...fields}</c> or <c>{"id", "ok": false, "error", "message"}</c>.</summary>
public sealed class PeerResponse
{
    internal PeerResponse(string peer, string op, long id, JsonElement root)
    {
        Peer = peer;
        Op = op;
        Id = id;
        Root = root;
        Ok = root.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True;
        Error = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
        Message = root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() : null;
    }

    /// <summary>The label of the peer process that answered (for failure messages).</summary>
    public string Peer { get; }

    /// <summary>The op of the request this answers.</summary>
    public string Op { get; }

    public long Id { get; }

    public bool Ok { get; }

    /// <summary>The error KIND when <see cref="Ok"/> is false.</summary>
    public string? Error { get; }

    public string? Message { get; }

    /// <summary>The whole response object.</summary>
    public JsonElement Root { get; }

    /// <summary>Throws with the peer's error unless the request succeeded.</summary>
    public PeerResponse EnsureOk()
    {
        if (!Ok)
        {
            throw new PeerRequestFailedException(this);
        }

        return this;
    }

    public JsonElement Field(string name)
    {
        EnsureOk();
        if (!Root.TryGetProperty(name, out var value))
        {
            throw new PeerRequestFailedException(this, $"the response has no field \"{name}\": {Root.GetRawText()}");
        }

        return value;
    }

    public string String(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new PeerRequestFailedException(this, $"field \"{name}\" is not a string: {value.GetRawText()}");
    }

    public byte[] Bytes(string name)
    {
        var text = String(name);
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new PeerRequestFailedException(this, $"field \"{name}\" is not standard base64: {text}");
        }
    }

    public int Int(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new PeerRequestFailedException(this, $"field \"{name}\" is not an integer: {value.GetRawText()}");
    }

    public bool Bool(string name)
    {
        var value = Field(name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new PeerRequestFailedException(this, $"field \"{name}\" is not a boolean: {value.GetRawText()}"),
        };
    }

    public override string ToString() => $"{Peer} {Op} (id {Id}): {Root.GetRawText()}";
}
