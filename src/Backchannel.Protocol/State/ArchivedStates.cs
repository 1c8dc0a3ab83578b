using Backchannel.Protocol.Encoding;

namespace Backchannel.Protocol.State;

/// <summary>
/// The previous session states of a record, newest first, at most <see cref="Constants.ArchivedStatesMaxLength"/>
/// (FACTS §4.8), kept as their record bytes until a message needs one (<see cref="LazyRecordParts{T}"/>).
/// </summary>
internal sealed class ArchivedStates : LazyRecordParts<SessionState>
{
    /// <summary>Appends a state read from a record as its bytes, after checking them completely.</summary>
    internal void AddSerialized(ReadOnlySpan<byte> bytes)
    {
        if (Count >= Constants.ArchivedStatesMaxLength)
        {
            throw new InvalidMessageException("too many archived session states");
        }
        SessionStateFields.Read(bytes);
        AddBytes(bytes);
    }

    /// <summary>Archives <paramref name="state"/> as the newest, dropping the oldest beyond the limit.</summary>
    internal void AddNewest(SessionState state)
    {
        Insert(0, state);
        if (Count > Constants.ArchivedStatesMaxLength)
        {
            DropAt(Count - 1);
        }
    }

    /// <summary>True when state <paramref name="index"/> has this version and base key, read without building it.</summary>
    internal bool Matches(int index, int version, ReadOnlySpan<byte> aliceBaseKey)
    {
        if (Peek(index, out var bytes) is { } state)
        {
            return state.Version == version && aliceBaseKey.SequenceEqual(state.AliceBaseKey);
        }
        var fields = SessionStateFields.Read(bytes);
        return (int)fields.Version == version && aliceBaseKey.SequenceEqual(fields.AliceBaseKey);
    }

    protected override SessionState Build(ReadOnlySpan<byte> bytes) => SessionState.Deserialize(bytes);

    protected override void Write(SessionState built, ProtoWriter w, int field) => built.WriteTo(w, field);

    protected override void Release(SessionState built) => built.Return();

    /// <inheritdoc />
    public override string ToString() => nameof(ArchivedStates);
}
