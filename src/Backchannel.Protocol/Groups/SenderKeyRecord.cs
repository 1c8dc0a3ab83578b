using Backchannel.Protocol.Encoding;
using Backchannel.Protocol.Groups;

namespace Backchannel.Protocol;

/// <summary>
/// The sender-key states of one (sender, distribution id), newest first, at most five (FACTS §4.10). Stores keep
/// it as opaque bytes in our versioned format.
/// </summary>
public sealed class SenderKeyRecord
{
    internal List<SenderKeyState> States { get; } = [];

    internal SenderKeyState? Newest => States.Count > 0 ? States[0] : null;

    internal SenderKeyState? FindState(uint chainId) => States.Find(s => s.ChainId == chainId);

    /// <summary>
    /// Adds a state as the newest. A state with the same chain id and signing key is kept as it is (moved to
    /// the front); one with the same chain id but another key is dropped.
    /// </summary>
    internal void AddState(SenderKeyState state)
    {
        var existing = States.Find(s => s.ChainId == state.ChainId && s.SigningKey.Equals(state.SigningKey));
        States.RemoveAll(s => s.ChainId == state.ChainId);
        while (States.Count >= Constants.MaxSenderKeyStates)
        {
            States.RemoveAt(States.Count - 1);
        }
        States.Insert(0, existing ?? state);
    }

    /// <summary>Our versioned record bytes; they hold secrets.</summary>
    public byte[] Serialize()
    {
        var w = RecordFormat.Begin(256);
        foreach (var state in States)
        {
            var s = new ProtoWriter(256);
            state.Serialize(s);
            w.WriteMessage(1, s);
            s.Clear();
        }
        var bytes = w.ToArray();
        w.Clear();
        return bytes;
    }

    /// <summary>Parses record bytes; malformed bytes throw <see cref="InvalidMessageException"/>.</summary>
    public static SenderKeyRecord Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(RecordFormat.Open(bytes, "sender key"));
        var record = new SenderKeyRecord();
        while (r.TryReadTag(out var f, out var wt))
        {
            if (f == 1)
            {
                if (record.States.Count >= Constants.MaxSenderKeyStates)
                {
                    throw new InvalidMessageException("too many sender key states");
                }
                record.States.Add(SenderKeyState.Deserialize(r.ReadBytesSpan(wt)));
            }
            else
            {
                r.Skip(wt);
            }
        }
        return record;
    }

    /// <inheritdoc />
    public override string ToString() => nameof(SenderKeyRecord);
}
