using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>How sessions begin, collide, age, get lost and restart (FACTS §4.6, §4.8).</summary>
public sealed class SessionLifecycleTests
{
    [Fact]
    public void Simultaneous_initiation_converges_on_one_session()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        s.Bob.StartSessionWith(s.Alice);
        var fromAlice = s.Alice.Encrypt(s.Bob, "alice first");
        var fromBob = s.Bob.Encrypt(s.Alice, "bob first");
        Assert.Equal(CiphertextMessage.PreKeyType, fromAlice.Type);
        Assert.Equal(CiphertextMessage.PreKeyType, fromBob.Type);

        Assert.Equal("bob first", s.Alice.Decrypt(s.Bob, fromBob));
        Assert.Equal("alice first", s.Bob.Decrypt(s.Alice, fromAlice));

        // Each side now sends on the state it answered; the first successful decrypt on each side picks one.
        Assert.Equal("alice again", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "alice again")));
        Assert.Equal("bob again", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "bob again")));
        Assert.Equal(s.Alice.Record(s.Bob).Current!.AliceBaseKey, s.Bob.Record(s.Alice).Current!.AliceBaseKey);

        for (var i = 0; i < 4; i++)
        {
            var a = s.Alice.Encrypt(s.Bob, $"a{i}");
            var b = s.Bob.Encrypt(s.Alice, $"b{i}");
            Assert.Equal(CiphertextMessage.WhisperType, a.Type);
            Assert.Equal(CiphertextMessage.WhisperType, b.Type);
            Assert.Equal($"a{i}", s.Bob.Decrypt(s.Alice, a));
            Assert.Equal($"b{i}", s.Alice.Decrypt(s.Bob, b));
        }
        Assert.Equal(s.Alice.Record(s.Bob).Current!.AliceBaseKey, s.Bob.Record(s.Alice).Current!.AliceBaseKey);
    }

    [Fact]
    public void Lost_session_restarts_through_a_new_bundle()
    {
        var s = Scenario.Established();
        s.Bob.Store.DeleteSession(s.Alice.Address);
        var orphan = s.Alice.Encrypt(s.Bob, "into the void");
        Assert.Throws<NoSessionException>(() => s.Bob.Decrypt(s.Alice, orphan));
        Assert.Null(s.Bob.RecordBytes(s.Alice));

        // Bob starts over from Alice's bundle; Alice promotes the new state and archives the old one.
        s.Bob.StartSessionWith(s.Alice);
        Assert.Equal("i lost our session", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "i lost our session")));
        Assert.Single(s.Alice.Record(s.Bob).Previous);
        Assert.Equal("welcome back", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "welcome back")));
        Assert.Equal("thanks", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "thanks")));
    }

    [Fact]
    public void Pending_session_older_than_30_days_stops_encrypting()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var cipher = s.Alice.CipherFor(s.Bob);
        s.Time.Advance(TimeSpan.FromDays(30));
        Assert.True(cipher.HasSession());
        var atThirtyDays = cipher.Encrypt("still pending"u8);
        Assert.Equal(CiphertextMessage.PreKeyType, atThirtyDays.Type);

        s.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cipher.HasSession());
        var before = s.Alice.RecordBytes(s.Bob);
        Assert.Throws<NoSessionException>(() => cipher.Encrypt("too late"u8));
        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));

        // A fresh bundle makes a new session.
        s.Alice.StartSessionWith(s.Bob);
        Assert.True(cipher.HasSession());
        Assert.Equal("fresh", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "fresh")));
    }

    [Fact]
    public void Acknowledged_session_never_goes_stale()
    {
        var s = Scenario.Established();
        s.Time.Advance(TimeSpan.FromDays(400));
        Assert.True(s.Alice.CipherFor(s.Bob).HasSession());
        Assert.Equal("a year later", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "a year later")));
    }

    [Fact]
    public void Stale_pending_session_can_still_be_acknowledged_by_a_reply()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var first = s.Alice.Encrypt(s.Bob, "hello");
        s.Time.Advance(TimeSpan.FromDays(31));
        Assert.False(s.Alice.CipherFor(s.Bob).HasSession());
        Assert.Equal("hello", s.Bob.Decrypt(s.Alice, first));
        Assert.Equal("late reply", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "late reply")));
        Assert.True(s.Alice.CipherFor(s.Bob).HasSession());
        Assert.Equal(CiphertextMessage.WhisperType, s.Alice.Encrypt(s.Bob, "ok").Type);
    }

    [Fact]
    public void Archiving_the_current_state_leaves_no_session_to_send_with()
    {
        var s = Scenario.Established();
        var record = s.Alice.Record(s.Bob);
        record.ArchiveCurrentState();
        s.Alice.Store.StoreSession(s.Bob.Address, record);
        Assert.False(s.Alice.CipherFor(s.Bob).HasSession());
        Assert.Throws<NoSessionException>(() => s.Alice.Encrypt(s.Bob, "x"));
        // Messages on the archived state still decrypt, and promote it back.
        Assert.Equal("still here", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "still here")));
        Assert.True(s.Alice.CipherFor(s.Bob).HasSession());
    }

    [Fact]
    public void Late_prekey_message_of_an_older_initiation_decrypts_from_the_archived_state()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        var m1 = s.Alice.Encrypt(s.Bob, "m1");
        var m2 = s.Alice.Encrypt(s.Bob, "m2");
        Assert.Equal("m1", s.Bob.Decrypt(s.Alice, m1));
        var olderBaseKey = s.Bob.Record(s.Alice).Current!.AliceBaseKey;

        s.Alice.StartSessionWith(s.Bob);
        Assert.Equal("m3", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "m3")));
        Assert.Equal(olderBaseKey, s.Bob.Record(s.Alice).Previous[0].AliceBaseKey);

        Assert.Equal("m2", s.Bob.Decrypt(s.Alice, m2));
        var record = s.Bob.Record(s.Alice);
        Assert.Equal(olderBaseKey, record.Current!.AliceBaseKey);
        Assert.Single(record.Previous);
    }

    [Fact]
    public void Replay_of_a_message_from_an_archived_state_is_a_duplicate_and_changes_nothing()
    {
        var s = Scenario.Established();
        var old = s.Alice.Encrypt(s.Bob, "old session");
        Assert.Equal("old session", s.Bob.Decrypt(s.Alice, old));
        s.Bob.StartSessionWith(s.Alice);
        Assert.Equal("new session", s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "new session")));
        Assert.Single(s.Bob.Record(s.Alice).Previous);

        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<DuplicatedMessageException>(() => s.Bob.Decrypt(s.Alice, old));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
    }
}
