using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backchannel.Client.Messages;

/// <summary>
/// The plaintext inside every ciphertext (format version 1): JSON, then Signal-style padding (0x80 then zeros)
/// to a multiple of <see cref="PadBlock"/> bytes, so the relay sees only coarse lengths.
/// </summary>
internal sealed record Envelope
{
    public const int Version = 1;
    public const string KindText = "text";
    public const string KindIntro = "intro";

    /// <summary>A channel's id, name and whole member list, vouched for by the sender (create, add, remove).</summary>
    public const string KindChannel = "channel";

    /// <summary>The sender's SenderKeyDistributionMessage for a channel.</summary>
    public const string KindSenderKey = "senderkey";

    /// <summary>
    /// Sent transcript: a text this account sent from another of its devices, for its own other devices; its
    /// <see cref="To"/> is the contact it went to.
    /// </summary>
    public const string KindTranscript = "transcript";

    /// <summary>
    /// History page: stored messages copied from an existing device of this account to a newly linked one
    /// (<see cref="History"/>), stored there, never shown as new.
    /// </summary>
    public const string KindHistory = "history";

    /// <summary>Padding block, as Signal pads message bodies to multiples of 160 bytes.</summary>
    public const int PadBlock = 160;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonPropertyName("v")]
    public int V { get; init; } = Version;

    public required string Id { get; init; }

    public required string Kind { get; init; }

    public string? Text { get; init; }

    public string? Topic { get; init; }

    public long SentAt { get; init; }

    /// <summary>Intro only: the invite's one-time secret (base64url).</summary>
    public string? Secret { get; init; }

    /// <summary>Intro only: the name the sender gave at init.</summary>
    public string? Name { get; init; }

    /// <summary>Intro only: the sender's unidentified-access key, so that we can send to it sealed.</summary>
    public byte[]? AccessKey { get; init; }

    /// <summary>Channel kinds and channel text: the channel's id (the sender-key distribution id).</summary>
    public string? Channel { get; init; }

    /// <summary>Channel only: the channel's name as the sender calls it.</summary>
    public string? ChannelName { get; init; }

    /// <summary>Channel only: every member, with the identity key the sender knows for them.</summary>
    public List<ChannelMemberEntry>? Members { get; init; }

    /// <summary>History only: the messages of this page, oldest first.</summary>
    public List<HistoryEntry>? History { get; init; }

    /// <summary>Transcript only: the account the text was sent to (absent for a channel text, which has <see cref="Channel"/>).</summary>
    public string? To { get; init; }

    /// <summary>Sender key only: the SenderKeyDistributionMessage.</summary>
    public byte[]? Distribution { get; init; }

    public byte[] ToPaddedBytes()
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        int length = ((json.Length + 1 + PadBlock - 1) / PadBlock) * PadBlock;
        byte[] padded = new byte[length];
        json.CopyTo(padded, 0);
        padded[json.Length] = 0x80;
        return padded;
    }

    /// <summary>Parses a padded envelope; null when it is not one this client understands.</summary>
    public static Envelope? TryParse(ReadOnlySpan<byte> padded)
    {
        int end = padded.LastIndexOfAnyExcept((byte)0);
        if (end < 0 || padded[end] != 0x80)
        {
            return null;
        }
        try
        {
            Envelope? e = JsonSerializer.Deserialize<Envelope>(padded[..end], Json);
            if (e is null || e.V != Version || !Guid.TryParse(e.Id, out _))
            {
                return null;
            }
            return e.Kind switch
            {
                KindText when e.Text is not null => e,
                KindIntro when e.Secret is not null && !string.IsNullOrWhiteSpace(e.Name) => e,
                KindChannel when Guid.TryParse(e.Channel, out _) && !string.IsNullOrWhiteSpace(e.ChannelName) && e.Members is { Count: > 0 }
                    && e.Members.All(m => m is not null && Guid.TryParse(m.Account, out _) && !string.IsNullOrWhiteSpace(m.Name) && m.IdentityKey is { Length: > 0 }) => e,
                KindTranscript when e.Text is not null && (Guid.TryParse(e.To, out _) ^ Guid.TryParse(e.Channel, out _)) => e,
                KindHistory when e.History is { Count: > 0 } && e.History.All(HistoryEntry.IsWellFormed) => e,
                KindSenderKey when Guid.TryParse(e.Channel, out _) && e.Distribution is { Length: > 0 } => e,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() => $"Envelope({Kind}, {Id})";
}
