using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backchannel.Client;

/// <summary>
/// An invitation handed over out of band: <c>bc1.</c> + base64url of a small JSON object with the relay URL,
/// the inviter's account, identity key, init name and a one-time secret. The identity key lets the invitee
/// refuse a relay that serves different keys; the secret lets the inviter accept only invited strangers.
/// </summary>
/// <remarks>
/// Since sealed sender the invite may also carry the relay's trust root (<c>t</c>) and the inviter's access key
/// (<c>x</c>); invites without them still parse (the invitee then sends unsealed until it learns the key).
/// An invite may also carry the inviter's pin of the relay's TLS key (<c>p</c>: base64 SHA-256 of the certificate's
/// SubjectPublicKeyInfo, as the relay logs it); older invites without it still parse.
/// </remarks>
public sealed record Invite(Uri Relay, string Account, byte[] IdentityKey, string Name, string Secret,
    byte[]? TrustRoot = null, byte[]? AccessKey = null, string? Pin = null)
{
    public const string Prefix = "bc1.";

    /// <summary>Bounds what we are willing to parse from a pasted string.</summary>
    private const int MaxLength = 4096;

    private sealed record Wire(
        [property: JsonPropertyName("r")] string? R,
        [property: JsonPropertyName("a")] string? A,
        [property: JsonPropertyName("k")] string? K,
        [property: JsonPropertyName("n")] string? N,
        [property: JsonPropertyName("s")] string? S,
        [property: JsonPropertyName("t"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? T = null,
        [property: JsonPropertyName("x"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? X = null,
        [property: JsonPropertyName("p"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? P = null);

    public string Encode()
    {
        var wire = new Wire(Relay.AbsoluteUri, Account, Base64Url.EncodeToString(IdentityKey), Name, Secret,
            TrustRoot is null ? null : Base64Url.EncodeToString(TrustRoot), AccessKey is null ? null : Base64Url.EncodeToString(AccessKey), Pin);
        return Prefix + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(wire));
    }

    /// <summary>Parses an invite; throws <see cref="BackchannelException"/> (MalformedInvite) when it is not one.</summary>
    public static Invite Parse(string text)
    {
        string s = (text ?? "").Trim();
        if (!s.StartsWith(Prefix, StringComparison.Ordinal) || s.Length > MaxLength)
        {
            throw Malformed("it does not start with \"bc1.\"");
        }
        try
        {
            byte[] json = Base64Url.DecodeFromChars(s.AsSpan(Prefix.Length));
            Wire? w = JsonSerializer.Deserialize<Wire>(json);
            if (w?.R is null || w.A is null || w.K is null || w.N is null || w.S is null)
            {
                throw Malformed("a field is missing");
            }
            if (!Uri.TryCreate(w.R, UriKind.Absolute, out Uri? relay) || (relay.Scheme != "http" && relay.Scheme != "https"))
            {
                throw Malformed("the relay URL is not http(s)");
            }
            if (!Guid.TryParse(w.A, out _))
            {
                throw Malformed("the account is not a UUID");
            }
            byte[] key = Base64Url.DecodeFromChars(w.K);
            if (!Crypto.SessionCrypto.IsIdentityKey(key))
            {
                throw Malformed("the identity key is not valid");
            }
            if (Base64Url.DecodeFromChars(w.S).Length < 16)
            {
                throw Malformed("the secret is too short");
            }
            byte[]? trustRoot = w.T is null ? null : Base64Url.DecodeFromChars(w.T);
            if (trustRoot is not null && trustRoot.Length != 33)
            {
                throw Malformed("the trust root is not valid");
            }
            byte[]? accessKey = w.X is null ? null : Base64Url.DecodeFromChars(w.X);
            if (accessKey is not null && accessKey.Length != 16)
            {
                throw Malformed("the access key is not valid");
            }
            if (w.P is not null && !global::Backchannel.Client.Relay.RelayClient.IsValidPin(w.P))
            {
                throw Malformed("the relay pin is not valid");
            }
            return new Invite(relay, w.A.ToLowerInvariant(), key, w.N, w.S, trustRoot, accessKey, w.P);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Malformed("it is not valid base64url JSON");
        }
    }

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => $"Invite({Account} at {Relay})";

    private static BackchannelException Malformed(string why) =>
        new(ErrorKinds.MalformedInvite, $"That is not a valid Backchannel invite: {why}. Copy the whole string that `backchannel invite` printed.");
}
