using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests.State;

/// <summary>
/// A disposed record zeroes its keys and hands its state objects to the next load on the thread; records loaded
/// into reused objects must read and write exactly as fresh ones (STYLE.md conventions 4 and 5).
/// </summary>
public sealed class SessionRecordDisposeTests
{
    [Fact]
    public void Disposing_a_loaded_record_zeroes_its_keys_and_it_can_no_longer_be_serialized()
    {
        var s = Scenario.Established();
        var record = s.Bob.Record(s.Alice);
        var state = record.Current!;
        var chain = state.ReceiverChains[0];
        byte[][] keys = [state.RootKey, state.SenderChainKey, state.SenderRatchetPrivateKey, chain.ChainKey];
        Assert.All(keys, key => Assert.Contains(key, b => b != 0));

        record.Dispose();

        Assert.All(keys, key => Assert.Equal(new byte[key.Length], key));
        Assert.False(record.HasCurrentState);
        Assert.Throws<ObjectDisposedException>(() => record.Serialize());
        record.Dispose();
    }

    [Fact]
    public void Disposing_a_record_zeroes_its_archived_states_too()
    {
        var s = new Scenario();
        s.Alice.StartSessionWith(s.Bob);
        s.Alice.StartSessionWith(s.Bob);
        var record = s.Alice.Record(s.Bob);
        var archived = record.Previous[0];
        byte[][] keys = [archived.RootKey, archived.SenderChainKey, archived.SenderRatchetPrivateKey];
        Assert.All(keys, key => Assert.Contains(key, b => b != 0));

        record.Dispose();

        Assert.All(keys, key => Assert.Equal(new byte[key.Length], key));
    }

    [Fact]
    public void Records_loaded_into_reused_state_objects_write_back_byte_for_byte()
    {
        // Three different records (one with a pending PreKey and an archived state, one with skipped keys), loaded
        // in turn on one thread, so each load overwrites objects the previous one returned.
        var pending = new Scenario();
        pending.Alice.StartSessionWith(pending.Bob);
        pending.Alice.StartSessionWith(pending.Bob);
        var skipped = Scenario.Established();
        var messages = Enumerable.Range(0, 4).Select(i => skipped.Alice.Encrypt(skipped.Bob, $"m{i}")).ToArray();
        Assert.Equal("m3", skipped.Bob.Decrypt(skipped.Alice, messages[3]));
        var established = Scenario.Established();
        var all = new[]
        {
            pending.Alice.RecordBytes(pending.Bob)!, skipped.Bob.RecordBytes(skipped.Alice)!, established.Alice.RecordBytes(established.Bob)!,
        };

        for (var round = 0; round < 3; round++)
        {
            foreach (var bytes in all)
            {
                using (var untouched = SessionRecord.Deserialize(bytes))
                {
                    Assert.Equal(bytes, untouched.Serialize());
                }
                // Every part built from its bytes (into reused chain and state objects) writes the same bytes.
                using var built = SessionRecord.Deserialize(bytes);
                _ = built.Current!.ReceiverChains.ToList();
                foreach (var state in built.Previous)
                {
                    _ = state.ReceiverChains.ToList();
                }
                Assert.Equal(bytes, built.Serialize());
            }
        }

        // And the sessions behind them still work: the skipped messages decrypt.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"m{i}", skipped.Bob.Decrypt(skipped.Alice, messages[i]));
        }
    }

    [Fact]
    public void Decrypt_into_a_buffer_returns_the_plaintext_length()
    {
        var s = Scenario.Established();
        var message = s.Alice.Encrypt(s.Bob, "into a buffer");
        var bytes = message.Serialize();
        var buffer = new byte[bytes.Length + 16];

        var length = s.Bob.CipherFor(s.Alice).Decrypt(message.Type, bytes, buffer);

        Assert.Equal("into a buffer", System.Text.Encoding.UTF8.GetString(buffer, 0, length));
        Assert.Equal("next", s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "next")));
    }

    [Fact]
    public void Decrypt_into_a_buffer_shorter_than_the_ciphertext_throws_and_changes_nothing()
    {
        var s = Scenario.Established();
        var message = s.Alice.Encrypt(s.Bob, "too small");
        var bytes = message.Serialize();
        var before = s.Bob.RecordBytes(s.Alice);

        Assert.Throws<ArgumentException>(() => s.Bob.CipherFor(s.Alice).Decrypt(message.Type, bytes, new byte[bytes.Length - 1]));

        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        Assert.Equal("too small", s.Bob.Decrypt(s.Alice, message));
    }

    [Fact]
    public void Decrypt_into_a_buffer_with_tampered_mac_fails_and_leaves_session_and_buffer_unchanged()
    {
        var s = Scenario.Established();
        var message = s.Alice.Encrypt(s.Bob, "tampered");
        var bytes = message.Serialize();
        var tampered = Tamper.Flip(bytes, bytes.Length - 1);
        var buffer = new byte[bytes.Length];
        buffer.AsSpan().Fill(0xEE);
        var before = s.Bob.RecordBytes(s.Alice);

        Assert.Throws<InvalidMessageException>(() => s.Bob.CipherFor(s.Alice).Decrypt(message.Type, tampered, buffer));

        Assert.Equal(before, s.Bob.RecordBytes(s.Alice));
        Assert.All(buffer, b => Assert.Equal(0xEE, b));
        Assert.Equal("tampered", s.Bob.Decrypt(s.Alice, message));
    }

    [Fact]
    public void Decrypt_into_a_buffer_from_an_untrusted_identity_leaves_no_plaintext_in_it()
    {
        var s = Scenario.Established();
        var message = s.Bob.Encrypt(s.Alice, "not for untrusted eyes");
        var bytes = message.Serialize();
        using var other = IdentityKeyPair.Generate();
        s.Alice.Store.SaveIdentity(s.Bob.Address, other.PublicKey);
        var buffer = new byte[bytes.Length];
        var before = s.Alice.RecordBytes(s.Bob);

        Assert.Throws<UntrustedIdentityException>(() => s.Alice.CipherFor(s.Bob).Decrypt(message.Type, bytes, buffer));

        Assert.Equal(before, s.Alice.RecordBytes(s.Bob));
        Assert.All(buffer, b => Assert.Equal(0, b));
    }
}
