using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.State;

namespace Backchannel.Protocol;

/// <summary>
/// All session states with one remote device: the current state and up to 40 previous ones, newest first
/// (FACTS §4.8). Stores keep it as opaque bytes in our versioned format.
/// </summary>
public sealed class SessionRecord
{
    [ThreadStatic]
    private static ProtoWriter? t_recordWriter;

    // Made on first use: most records loaded for a message have no archived state.
    private ArchivedStates? _previous;

    internal SessionState? Current { get; private set; }

    internal ArchivedStates Previous => _previous ??= new();

    /// <summary>An empty record.</summary>
    public SessionRecord() { }

    internal SessionRecord(SessionState current)
    {
        Current = current;
    }

    /// <summary>True when the current state can send.</summary>
    public bool HasCurrentState => Current is not null;

    /// <summary>Makes <paramref name="state"/> current, archiving the old current state (pending PreKey data cleared).</summary>
    internal void PromoteState(SessionState state)
    {
        if (Current is not null)
        {
            Current.PendingPreKey = null;
            Previous.AddNewest(Current);
        }
        Current = state;
    }

    /// <summary>Replaces the current state with an updated copy of previous state <paramref name="index"/>, archiving the current one.</summary>
    internal void PromotePrevious(int index, SessionState updated)
    {
        Previous.RemoveAt(index);
        PromoteState(updated);
    }

    internal void SetCurrent(SessionState state) => Current = state;

    /// <summary>Archives the current state, leaving none (as libsignal's archive_current_state).</summary>
    public void ArchiveCurrentState()
    {
        if (Current is not null)
        {
            var state = Current;
            Current = null;
            state.PendingPreKey = null;
            Previous.AddNewest(state);
        }
    }

    /// <summary>Our versioned record bytes; they hold secrets.</summary>
    public byte[] Serialize()
    {
        // Stores save the record after every message: reuse this thread's scratch writer (wiped after each use)
        // rather than allocating a buffer per call, so only the result is allocated.
        var w = t_recordWriter ??= new ProtoWriter(1024);
        try
        {
            w.WriteByte(RecordFormat.Version1);
            Current?.WriteTo(w, 1);
            _previous?.WriteTo(w, 2);
            return w.ToArray();
        }
        finally
        {
            w.Clear();
        }
    }

    /// <summary>Parses record bytes; malformed bytes throw <see cref="InvalidMessageException"/>.</summary>
    public static SessionRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(RecordFormat.Open(bytes, "session"));
        var record = new SessionRecord();
        while (r.TryReadTag(out var f, out var wt))
        {
            switch (f)
            {
                case 1: record.Current = SessionState.Deserialize(r.ReadBytesSpan(wt)); break;
                case 2: record.Previous.AddSerialized(r.ReadBytesSpan(wt)); break;
                default: r.Skip(wt); break;
            }
        }
        return record;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SessionRecord);
}
