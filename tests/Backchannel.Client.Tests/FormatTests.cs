using Backchannel.Client.Messages;

namespace Backchannel.Client.Tests;

public sealed class FormatTests
{
    private static readonly byte[] SomeIdentityKey = [0x05, .. Enumerable.Range(1, 32).Select(i => (byte)i)];

    [Fact]
    public void An_invite_round_trips_through_its_compact_string()
    {
        var invite = new Invite(new Uri("http://relay.example:8080/"), "6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f", SomeIdentityKey,
            "envoy-east", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0");
        string text = invite.Encode();
        Assert.StartsWith("bc1.", text, StringComparison.Ordinal);
        Assert.DoesNotContain(text, c => char.IsWhiteSpace(c) || c == '+' || c == '/' || c == '=');
        Invite back = Invite.Parse("  " + text + "\n");
        Assert.Equal(invite.Relay, back.Relay);
        Assert.Equal(invite.Account, back.Account);
        Assert.Equal(invite.IdentityKey, back.IdentityKey);
        Assert.Equal(invite.Name, back.Name);
        Assert.Equal(invite.Secret, back.Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("bc1.")]
    [InlineData("bc1.!!!!")]
    [InlineData("bc1.eyJyIjoiaHR0cDovL3giLCJhIjoibm90LWEtdXVpZCJ9")]
    [InlineData("bc2.eyJ9")]
    public void A_malformed_invite_is_refused_with_MalformedInvite(string text)
    {
        BackchannelException e = Assert.Throws<BackchannelException>(() => Invite.Parse(text));
        Assert.Equal(ErrorKinds.MalformedInvite, e.Kind);
    }

    [Fact]
    public void An_envelope_round_trips_and_is_padded_to_whole_blocks()
    {
        var e = new Envelope { Id = Guid.NewGuid().ToString(), Kind = Envelope.KindText, Text = "héllo", Topic = "relations", SentAt = 1234 };
        byte[] padded = e.ToPaddedBytes();
        Assert.Equal(0, padded.Length % Envelope.PadBlock);
        Envelope back = Envelope.TryParse(padded)!;
        Assert.Equal(e, back);
    }

    [Fact]
    public void Garbage_or_unknown_versions_are_not_envelopes()
    {
        Assert.Null(Envelope.TryParse([]));
        Assert.Null(Envelope.TryParse("{\"v\":1}"u8));
        Assert.Null(Envelope.TryParse([.. "{\"v\":2,\"id\":\"6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f\",\"kind\":\"text\",\"text\":\"x\"}"u8, 0x80]));
        Assert.Null(Envelope.TryParse([.. "{\"v\":1,\"id\":\"6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f\",\"kind\":\"intro\"}"u8, 0x80]));
        Assert.NotNull(Envelope.TryParse([.. "{\"v\":1,\"id\":\"6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f\",\"kind\":\"text\",\"text\":\"x\"}"u8, 0x80, 0, 0]));
    }

    [Fact]
    public void An_invite_prints_without_its_secret()
    {
        var invite = new Invite(new Uri("http://relay.example/"), "6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f", SomeIdentityKey, "n", "the-secret-value");
        Assert.Equal("Invite(6f1c9a52-7d0e-4a54-9d43-1a2b3c4d5e6f at http://relay.example/)", invite.ToString());
    }
}
