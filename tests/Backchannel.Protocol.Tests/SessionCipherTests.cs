using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>Conversations through <see cref="SessionCipher"/>: first contact, ping-pong and reordering.</summary>
public sealed class SessionCipherTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void First_contact_works_with_and_without_a_one_time_prekey(bool withOneTimePreKey)
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey);
        s.Alice.Process(s.Bob, bundle);
        Assert.True(s.Alice.CipherFor(s.Bob).HasSession());

        var first = s.Alice.Encrypt(s.Bob, "hello bob");
        Assert.Equal(CiphertextMessage.PreKeyType, first.Type);
        Assert.Equal("hello bob", s.Bob.Decrypt(s.Alice, first));
        if (bundle.PreKeyId is { } id)
        {
            Assert.Null(s.Bob.Store.LoadPreKey(id));
        }

        var reply = s.Bob.Encrypt(s.Alice, "hello alice");
        Assert.Equal(CiphertextMessage.WhisperType, reply.Type);
        Assert.Equal("hello alice", s.Alice.Decrypt(s.Bob, reply));

        var next = s.Alice.Encrypt(s.Bob, "acknowledged");
        Assert.Equal(CiphertextMessage.WhisperType, next.Type);
        Assert.Equal("acknowledged", s.Bob.Decrypt(s.Alice, next));
        Assert.Equal(s.Alice.Identity.PublicKey, s.Bob.Store.GetIdentity(s.Alice.Address));
        Assert.Equal(s.Bob.Identity.PublicKey, s.Alice.Store.GetIdentity(s.Bob.Address));
    }

    [Fact]
    public void PreKey_message_layout_matches_libsignal()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var bytes = s.Alice.Encrypt(s.Bob, "x").Serialize();
        Assert.Equal(0x44, bytes[0]);
        var reply = s.Bob.Decrypt(s.Alice, CiphertextMessage.PreKeyType, bytes);
        Assert.Equal("x", reply);
        var whisper = s.Bob.Encrypt(s.Alice, "short").Serialize();
        // ≤15-byte plaintext: version ‖ protobuf(33-byte key, counter, previous counter, 16-byte body) ‖ MAC = 66 B (FACTS §4.6).
        Assert.Equal(66, whisper.Length);
        Assert.Equal(0x44, whisper[0]);
    }

    [Fact]
    public void Long_ping_pong_with_bursts_keeps_both_sides_in_step()
    {
        var s = Scenario.Established();
        var random = new Random(7);
        for (var round = 0; round < 60; round++)
        {
            var (from, to) = round % 2 == 0 ? (s.Alice, s.Bob) : (s.Bob, s.Alice);
            var burst = random.Next(1, 4);
            for (var i = 0; i < burst; i++)
            {
                var text = new string((char)('a' + (round % 26)), random.Next(0, 100));
                var message = from.Encrypt(to, text);
                Assert.Equal(CiphertextMessage.WhisperType, message.Type);
                Assert.Equal(text, to.Decrypt(from, message));
            }
        }
    }

    [Fact]
    public void Out_of_order_messages_within_one_chain_all_decrypt()
    {
        var s = Scenario.Established();
        var messages = Enumerable.Range(0, 6).Select(i => s.Alice.Encrypt(s.Bob, $"m{i}")).ToArray();
        foreach (var i in new[] { 3, 0, 5, 4, 1, 2 })
        {
            Assert.Equal($"m{i}", s.Bob.Decrypt(s.Alice, messages[i]));
        }
        Assert.Empty(s.Bob.Record(s.Alice).Current!.ReceiverChains.SelectMany(c => c.SkippedSeeds));
    }

    [Fact]
    public void Out_of_order_messages_across_ratchet_steps_all_decrypt()
    {
        var s = Scenario.Established();
        var a1 = s.Alice.Encrypt(s.Bob, "a1");
        var a2 = s.Alice.Encrypt(s.Bob, "a2");
        var b1 = s.Bob.Encrypt(s.Alice, "b1");
        Assert.Equal("b1", s.Alice.Decrypt(s.Bob, b1));
        var a3 = s.Alice.Encrypt(s.Bob, "a3");
        var a4 = s.Alice.Encrypt(s.Bob, "a4");

        // Bob sees the newer chain first, then the late messages of the older one.
        Assert.Equal("a4", s.Bob.Decrypt(s.Alice, a4));
        Assert.Equal("a1", s.Bob.Decrypt(s.Alice, a1));
        var b2 = s.Bob.Encrypt(s.Alice, "b2");
        Assert.Equal("a3", s.Bob.Decrypt(s.Alice, a3));
        Assert.Equal("a2", s.Bob.Decrypt(s.Alice, a2));
        Assert.Equal("b2", s.Alice.Decrypt(s.Bob, b2));
        Assert.Equal("a5", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "a5")));
    }

    [Fact]
    public void Several_prekey_messages_before_a_reply_decrypt_shuffled_into_one_session()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle();
        s.Alice.Process(s.Bob, bundle);
        var messages = Enumerable.Range(0, 6).Select(i => s.Alice.Encrypt(s.Bob, $"p{i}")).ToArray();
        Assert.All(messages, m => Assert.Equal(CiphertextMessage.PreKeyType, m.Type));

        foreach (var i in new[] { 0, 4, 2, 5, 1, 3 })
        {
            Assert.Equal($"p{i}", s.Bob.Decrypt(s.Alice, messages[i]));
        }
        var record = s.Bob.Record(s.Alice);
        Assert.Empty(record.Previous);
        Assert.Null(s.Bob.Store.LoadPreKey(bundle.PreKeyId!.Value));

        Assert.Equal("reply", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "reply")));
        Assert.Equal(CiphertextMessage.WhisperType, s.Alice.Encrypt(s.Bob, "after").Type);
    }

    [Fact]
    public void Repeated_prekey_messages_map_to_one_session()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var first = s.Alice.Encrypt(s.Bob, "one");
        var second = s.Alice.Encrypt(s.Bob, "two");
        Assert.Equal("one", s.Bob.Decrypt(s.Alice, first));
        var afterFirst = s.Bob.Record(s.Alice).Current!.AliceBaseKey;
        Assert.Equal("two", s.Bob.Decrypt(s.Alice, second));
        var record = s.Bob.Record(s.Alice);
        Assert.Equal(afterFirst, record.Current!.AliceBaseKey);
        Assert.Equal(s.Alice.Record(s.Bob).Current!.AliceBaseKey, record.Current.AliceBaseKey);
        Assert.Empty(record.Previous);
    }

    [Fact]
    public void Replayed_signal_message_is_a_duplicate()
    {
        var s = Scenario.Established();
        var message = s.Alice.Encrypt(s.Bob, "once");
        Assert.Equal("once", s.Bob.Decrypt(s.Alice, message));
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<DuplicatedMessageException>(() => s.Bob.Decrypt(s.Alice, message));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void Replayed_prekey_message_is_a_duplicate()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var message = s.Alice.Encrypt(s.Bob, "once");
        Assert.Equal("once", s.Bob.Decrypt(s.Alice, message));
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<DuplicatedMessageException>(() => s.Bob.Decrypt(s.Alice, message));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void Encrypt_without_a_session_is_no_session()
    {
        var s = new Scenario();
        Assert.False(s.Alice.CipherFor(s.Bob).HasSession());
        Assert.Throws<NoSessionException>(() => s.Alice.Encrypt(s.Bob, "x"));
    }

    [Fact]
    public void Signal_message_without_a_session_is_no_session()
    {
        var s = Scenario.Established();
        var message = s.Alice.Encrypt(s.Bob, "x");
        var carol = new Party("carol", s.Time);
        Assert.Throws<NoSessionException>(() => carol.Decrypt(s.Alice, message));
    }
}
