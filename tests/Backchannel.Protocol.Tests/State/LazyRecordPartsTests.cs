using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Tests.TestSupport;

namespace Backchannel.Protocol.Tests.State;

/// <summary>
/// Archived states and receiving chains stay as their record bytes until a message needs them: they are still
/// checked when the record loads, and an untouched one is written back byte for byte.
/// </summary>
public sealed class LazyRecordPartsTests
{
    // An unknown varint field (number 99): a built state or chain would drop it, the bytes as loaded keep it.
    private static readonly byte[] UnknownField = [0x98, 0x06, 0x01];

    [Fact]
    public void Untouched_archived_state_is_written_back_byte_for_byte()
    {
        var s = WithArchivedState();
        var bytes = RewriteRecord(s.Alice.RecordBytes(s.Bob)!, archived: state => [.. state, .. UnknownField]);

        var record = SessionRecord.Deserialize(bytes);
        Assert.Equal(bytes, record.Serialize());

        // Encrypting uses the current state only: the archived one goes back to the store as it came.
        s.Alice.Store.StoreSession(s.Bob.Address, record);
        var message = s.Alice.Encrypt(s.Bob, "on the current state");
        Assert.Equal("on the current state", s.Bob.Decrypt(s.Alice, message));
        Assert.Equal(ArchivedParts(bytes), ArchivedParts(s.Alice.RecordBytes(s.Bob)!));
    }

    [Fact]
    public void Untouched_receiving_chain_is_written_back_byte_for_byte()
    {
        var s = Scenario.Established();
        var bytes = RewriteRecord(s.Alice.RecordBytes(s.Bob)!, current: state => RewriteChains(state, chain => [.. chain, .. UnknownField]));
        s.Alice.Store.StoreSession(s.Bob.Address, SessionRecord.Deserialize(bytes));

        // Sending needs no receiving chain, so every chain is stored again exactly as loaded.
        s.Bob.Decrypt(s.Alice, s.Alice.Encrypt(s.Bob, "one way"));
        var chains = ChainParts(CurrentPart(s.Alice.RecordBytes(s.Bob)!));
        Assert.NotEmpty(chains);
        Assert.Equal(ChainParts(CurrentPart(bytes)), chains);
        Assert.All(chains, c => Assert.EndsWith(Convert.ToHexString(UnknownField), Convert.ToHexString(c)));
    }

    [Fact]
    public void Malformed_archived_state_is_refused_when_the_record_loads()
    {
        var s = WithArchivedState();
        // Only a version field: no keys at all.
        var bytes = RewriteRecord(s.Alice.RecordBytes(s.Bob)!, archived: _ => [0x08, 0x04]);
        Assert.Throws<InvalidMessageException>(() => SessionRecord.Deserialize(bytes));
    }

    [Fact]
    public void Malformed_receiving_chain_is_refused_when_the_record_loads()
    {
        var s = Scenario.Established();
        // A chain with an index but neither ratchet key nor chain key.
        var bytes = RewriteRecord(s.Alice.RecordBytes(s.Bob)!, current: state => RewriteChains(state, _ => [0x18, 0x01]));
        Assert.Throws<InvalidMessageException>(() => SessionRecord.Deserialize(bytes));
    }

    [Fact]
    public void Receiving_chain_with_a_bad_ratchet_key_is_refused_when_the_record_loads()
    {
        var s = Scenario.Established();
        var bytes = RewriteRecord(s.Alice.RecordBytes(s.Bob)!, current: state => RewriteChains(state, chain =>
        {
            var copy = (byte[])chain.Clone();
            copy[2] = 0x06; // the key's type byte: 0x05 is the only Curve25519 type
            return copy;
        }));
        Assert.Throws<InvalidMessageException>(() => SessionRecord.Deserialize(bytes));
    }

    // Alice's record with one archived state: Bob lost the session and started again.
    private static Scenario WithArchivedState()
    {
        var s = Scenario.Established();
        s.Bob.Store.DeleteSession(s.Alice.Address);
        s.Bob.StartSessionWith(s.Alice);
        s.Alice.Decrypt(s.Bob, s.Bob.Encrypt(s.Alice, "again"));
        Assert.Single(s.Alice.Record(s.Bob).Previous);
        return s;
    }

    private static byte[] RewriteRecord(byte[] record, Func<byte[], byte[]>? current = null, Func<byte[], byte[]>? archived = null)
    {
        var w = new ProtoWriter();
        w.WriteByte(record[0]);
        var r = new ProtoReader(record.AsSpan(1));
        while (r.TryReadTag(out var field, out var wt))
        {
            var part = r.ReadBytesSpan(wt).ToArray();
            var rewrite = field == 1 ? current : archived;
            w.WriteBytes(field, rewrite is null ? part : rewrite(part));
        }
        return w.ToArray();
    }

    private static byte[] RewriteChains(byte[] state, Func<byte[], byte[]> chain)
    {
        var w = new ProtoWriter();
        var r = new ProtoReader(state);
        while (r.TryReadTag(out var field, out var wt))
        {
            if (wt == 2)
            {
                var bytes = r.ReadBytesSpan(wt).ToArray();
                w.WriteBytes(field, field == 10 ? chain(bytes) : bytes);
            }
            else
            {
                w.WriteUInt64(field, r.ReadUInt64(wt));
            }
        }
        return w.ToArray();
    }

    private static byte[] CurrentPart(byte[] record) => Parts(record.AsSpan(1), 1).Single();

    private static List<byte[]> ArchivedParts(byte[] record) => Parts(record.AsSpan(1), 2);

    private static List<byte[]> ChainParts(byte[] state) => Parts(state, 10);

    private static List<byte[]> Parts(ReadOnlySpan<byte> message, int wanted)
    {
        var parts = new List<byte[]>();
        var r = new ProtoReader(message);
        while (r.TryReadTag(out var field, out var wt))
        {
            if (field == wanted)
            {
                parts.Add(r.ReadBytesSpan(wt).ToArray());
            }
            else
            {
                r.Skip(wt);
            }
        }
        return parts;
    }
}
