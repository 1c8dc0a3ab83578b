using Backchannel.Protocol.Ratchet;

namespace Backchannel.Protocol.Tests.TestSupport;

/// <summary>Byte surgery on messages and records for the failure tests.</summary>
internal static class Tamper
{
    internal static byte[] Flip(byte[] bytes, int index, byte mask = 0x01)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= mask;
        return copy;
    }

    /// <summary>
    /// Advances the sender's current sending chain by <paramref name="count"/> steps and stores it: exactly what
    /// encrypting <paramref name="count"/> messages and losing them all would leave behind, without the cost.
    /// </summary>
    internal static void LoseMessages(Party sender, Party receiver, int count)
    {
        var record = sender.Record(receiver);
        var state = record.Current!;
        for (var i = 0; i < count; i++)
        {
            ChainKey.Advance(state.SenderChainKey);
        }
        state.SenderChainIndex += (uint)count;
        sender.Store.StoreSession(receiver.Address, record);
    }
}
