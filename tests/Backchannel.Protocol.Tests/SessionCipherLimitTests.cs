using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests;

/// <summary>The protocol limits of FACTS §4.7, each at and just past its boundary, checked through the record.</summary>
public sealed class SessionCipherLimitTests
{
    [Fact]
    public void Forward_jump_of_exactly_25000_is_accepted()
    {
        var s = Scenario.Established();
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "fresh chain for alice"));
        Tamper.LoseMessages(s.Alice, s.Bob, 25_000);
        var message = s.Alice.Encrypt(s.Bob, "far ahead");
        Assert.Equal("far ahead", s.Bob.Decrypt(s.Alice, message));
        var chain = s.Bob.Record(s.Alice).Current!.FindReceiverChain(s.Alice.Record(s.Bob).Current!.SenderRatchetKey)!;
        Assert.Equal(25_001u, chain.Index);
        Assert.Equal(2_000, chain.SkippedSeeds.Count);
        Assert.Equal(23_000u, chain.SkippedSeeds[0].Index);
    }

    [Fact]
    public void Forward_jump_of_25001_is_an_invalid_message_and_changes_nothing()
    {
        var s = Scenario.Established();
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "fresh chain for alice"));
        Tamper.LoseMessages(s.Alice, s.Bob, 25_001);
        var message = s.Alice.Encrypt(s.Bob, "too far ahead");
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, message));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
    }

    [Fact]
    public void Forward_jump_limit_counts_from_the_chain_position_not_from_zero()
    {
        var s = Scenario.Established();
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "fresh chain for alice"));
        for (var i = 0; i < 3; i++)
        {
            s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, $"m{i}"));
        }
        Tamper.LoseMessages(s.Alice, s.Bob, 25_000);
        Assert.Equal("still fine", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "still fine")));
    }

    [Fact]
    public void After_2001_skipped_messages_the_oldest_key_is_gone_and_the_others_decrypt()
    {
        var s = Scenario.Established();
        var messages = Enumerable.Range(0, 2_002).Select(i => s.Alice.Encrypt(s.Bob, $"m{i}")).ToArray();
        Assert.Equal("m2001", s.Bob.Decrypt(s.Alice, messages[2_001]));
        var chain = s.Bob.Record(s.Alice).Current!.ReceiverChains[^1];
        Assert.Equal(2_000, chain.SkippedSeeds.Count);

        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<DuplicatedMessageException>(() => s.Bob.Decrypt(s.Alice, messages[0]));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        foreach (var i in new[] { 1, 2_000, 1_000, 2, 1_999 })
        {
            Assert.Equal($"m{i}", s.Bob.Decrypt(s.Alice, messages[i]));
        }
        Assert.Throws<DuplicatedMessageException>(() => s.Bob.Decrypt(s.Alice, messages[1_000]));
        Assert.Equal(1_995, s.Bob.Record(s.Alice).Current!.ReceiverChains[^1].SkippedSeeds.Count);
    }

    [Fact]
    public void Exactly_2000_skipped_messages_all_stay_decryptable()
    {
        var s = Scenario.Established();
        var messages = Enumerable.Range(0, 2_001).Select(i => s.Alice.Encrypt(s.Bob, $"m{i}")).ToArray();
        Assert.Equal("m2000", s.Bob.Decrypt(s.Alice, messages[2_000]));
        Assert.Equal("m0", s.Bob.Decrypt(s.Alice, messages[0]));
        Assert.Equal("m1999", s.Bob.Decrypt(s.Alice, messages[1_999]));
    }

    [Fact]
    public void Receiving_chains_are_capped_at_five_and_the_oldest_is_dropped()
    {
        var s = Scenario.Established();
        var late = new List<CiphertextMessage>();
        for (var round = 0; round < 7; round++)
        {
            late.Add(s.Alice.Encrypt(s.Bob, $"late {round}"));
            s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, $"a{round}"));
            s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, $"b{round}"));
            Assert.True(s.Bob.Record(s.Alice).Current!.ReceiverChains.Count <= 5);
        }
        Assert.Equal(5, s.Bob.Record(s.Alice).Current!.ReceiverChains.Count);
        Assert.Equal(5, s.Alice.Record(s.Bob).Current!.ReceiverChains.Count);

        // The chains of rounds 0 and 1 were dropped; rounds 2..6 are still held.
        var before = s.Bob.RecordBytes(s.Alice);
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, late[0]));
        Assert.Throws<InvalidMessageException>(() => s.Bob.Decrypt(s.Alice, late[1]));
        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        for (var round = 2; round < 7; round++)
        {
            Assert.Equal($"late {round}", s.Bob.Decrypt(s.Alice, late[round]));
        }
    }

    [Fact]
    public void Archived_states_are_capped_at_forty()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: false);
        var baseKeys = new List<byte[]>();
        for (var i = 0; i < 45; i++)
        {
            s.Alice.Process(s.Bob, bundle);
            baseKeys.Add(s.Alice.Record(s.Bob).Current!.AliceBaseKey);
        }
        var record = s.Alice.Record(s.Bob);
        Assert.Equal(40, record.Previous.Count);
        Assert.Equal(baseKeys[44], record.Current!.AliceBaseKey);
        Assert.Equal(baseKeys[43], record.Previous[0].AliceBaseKey);
        Assert.Equal(baseKeys[4], record.Previous[^1].AliceBaseKey);
        Assert.All(record.Previous, state => Assert.Null(state.PendingPreKey));
    }

    [Fact]
    public void Record_with_more_than_forty_archived_states_is_rejected()
    {
        var s = new Scenario();
        var bundle = s.Bob.PublishBundle(withOneTimePreKey: false);
        for (var i = 0; i < 41; i++)
        {
            s.Alice.Process(s.Bob, bundle);
        }
        var record = s.Alice.Record(s.Bob);
        Assert.Equal(40, record.Previous.Count);
        var bytes = record.Serialize();

        // Append one more archived state (field 2) by copying the current state's bytes (field 1).
        var w = new Backchannel.Protocol.Encoding.ProtoWriter();
        var current = new Backchannel.Protocol.Encoding.ProtoWriter();
        record.Current!.Serialize(current);
        w.WriteMessage(2, current);
        var tooMany = bytes.Concat(w.ToArray()).ToArray();
        Assert.Throws<InvalidMessageException>(() => SessionRecord.Deserialize(tooMany));
    }

    [Fact]
    public void An_archived_state_that_decrypts_is_promoted_to_current()
    {
        var s = Scenario.Established();
        var old = s.Bob.Encrypt(s.Alice, "from the old session");
        var oldBaseKey = s.Alice.Record(s.Bob).Current!.AliceBaseKey;
        s.Alice.StartSessionWith(s.Bob);
        Assert.Equal(oldBaseKey, s.Alice.Record(s.Bob).Previous[0].AliceBaseKey);

        Assert.Equal("from the old session", s.Alice.Decrypt(s.Bob, old));
        var record = s.Alice.Record(s.Bob);
        Assert.Equal(oldBaseKey, record.Current!.AliceBaseKey);
        Assert.Single(record.Previous);
    }
}
