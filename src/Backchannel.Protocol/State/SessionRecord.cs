using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.State;

namespace Backchannel.Protocol;

/// <summary>
/// All session states with one remote device: the current state and up to 40 previous ones, newest first
/// (FACTS §4.8). Stores keep it as opaque bytes in our versioned format.
/// </summary>
/// <remarks>
/// A loaded record holds the session's keys: dispose it when done (after storing it), which zeroes them and lets
/// the next load on this thread reuse its state objects instead of allocating new ones. A record that is never
/// disposed still works; its keys are then left to the garbage collector. A disposed record must not be used.
/// </remarks>
public sealed class SessionRecord : IDisposable
{
    [ThreadStatic]
    private static ProtoWriter? t_recordWriter;

    // Made on first use: most records loaded for a message have no archived state.
    private ArchivedStates? _previous;

    private bool _disposed;

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
        ObjectDisposedException.ThrowIf(_disposed, this);
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
        try
        {
            while (r.TryReadTag(out var f, out var wt))
            {
                switch (f)
                {
                    case 1:
                        var state = SessionState.Deserialize(r.ReadBytesSpan(wt));
                        record.Current?.Return();
                        record.Current = state;
                        break;
                    case 2: record.Previous.AddSerialized(r.ReadBytesSpan(wt)); break;
                    default: r.Skip(wt); break;
                }
            }
            return record;
        }
        catch
        {
            // Malformed after a part was read: wipe what was copied.
            record.Dispose();
            throw;
        }
    }

    /// <summary>Zeroes the record's keys and returns its states to this thread's pool; the record is then empty and unusable.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Current?.Return();
        Current = null;
        _previous?.Reset();
        _previous = null;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SessionRecord);
}
