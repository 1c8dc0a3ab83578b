using System.Collections;
using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The previous session states of a record, newest first, at most <see cref="Constants.ArchivedStatesMaxLength"/>
/// (FACTS §4.8). A state loaded from record bytes is checked at load but kept as those bytes, and built only
/// when a message needs it (most messages are for the current state, and a record is loaded for every message);
/// an unbuilt state is written back byte for byte.
/// </summary>
internal sealed class ArchivedStates : IReadOnlyList<SessionState>
{
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The state at <paramref name="index"/>, built from its bytes on first use.</summary>
    public SessionState this[int index]
    {
        get
        {
            var entry = _entries[index];
            if (entry.State is null)
            {
                entry.State = SessionState.Deserialize(entry.Bytes);
                _entries[index] = entry;
            }
            return entry.State;
        }
    }

    /// <summary>Appends a state read from a record as its bytes, after checking them completely.</summary>
    internal void AddSerialized(ReadOnlySpan<byte> bytes)
    {
        if (_entries.Count >= Constants.ArchivedStatesMaxLength)
        {
            throw new InvalidMessageException("too many archived session states");
        }
        SessionStateFields.Read(bytes);
        _entries.Add(new Entry(bytes.ToArray(), null));
    }

    /// <summary>Archives <paramref name="state"/> as the newest, dropping the oldest beyond the limit.</summary>
    internal void AddNewest(SessionState state)
    {
        _entries.Insert(0, new Entry(null, state));
        if (_entries.Count > Constants.ArchivedStatesMaxLength)
        {
            _entries.RemoveAt(_entries.Count - 1);
        }
    }

    internal void RemoveAt(int index) => _entries.RemoveAt(index);

    /// <summary>True when state <paramref name="index"/> has this version and base key, read without building it.</summary>
    internal bool Matches(int index, int version, ReadOnlySpan<byte> aliceBaseKey)
    {
        var entry = _entries[index];
        if (entry.State is { } state)
        {
            return state.Version == version && aliceBaseKey.SequenceEqual(state.AliceBaseKey);
        }
        var fields = SessionStateFields.Read(entry.Bytes);
        return (int)fields.Version == version && aliceBaseKey.SequenceEqual(fields.AliceBaseKey);
    }

    /// <summary>Writes each state as record field <paramref name="field"/>: unbuilt ones as their bytes.</summary>
    internal void WriteTo(ProtoWriter w, int field, ProtoWriter scratch)
    {
        foreach (var entry in _entries)
        {
            if (entry.State is { } state)
            {
                state.Serialize(scratch);
                w.WriteMessage(field, scratch);
                scratch.Clear();
            }
            else
            {
                w.WriteBytes(field, entry.Bytes);
            }
        }
    }

    public IEnumerator<SessionState> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => nameof(ArchivedStates);

    // Bytes of a state loaded from a record (null for one archived in memory); State once built.
    private record struct Entry(byte[]? Bytes, SessionState? State);
}
