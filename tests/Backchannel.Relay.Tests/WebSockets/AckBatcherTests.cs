using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;

namespace Backchannel.Relay.Tests.WebSockets;

public sealed class AckBatcherTests
{
    private static readonly DeviceAddress Bob = new(Guid.NewGuid(), 1);

    [Fact]
    public async Task Acks_that_arrive_during_a_commit_go_together_in_the_next_call()
    {
        var store = new RecordingAckStore();
        var acks = new AckBatcher(store, Bob, maxBatch: 500);
        Task running = acks.RunAsync(CancellationToken.None);
        Guid[] ids = [.. Enumerable.Range(0, 301).Select(_ => Guid.NewGuid())];

        await acks.AddAsync(ids[0], CancellationToken.None);
        await store.FirstCallStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        foreach (Guid id in ids[1..])
        {
            await acks.AddAsync(id, CancellationToken.None);
        }

        store.ReleaseFirstCall.SetResult();
        acks.Complete();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, store.Calls.Count);
        Assert.Equal([ids[0]], store.Calls[0].Ids);
        Assert.Equal(ids[1..], store.Calls[1].Ids);
        Assert.All(store.Calls, c => Assert.Equal(Bob, c.Device));
    }

    [Fact]
    public async Task A_batch_holds_at_most_max_batch_ids_and_everything_queued_is_applied_after_complete()
    {
        var store = new RecordingAckStore();
        store.ReleaseFirstCall.SetResult();
        var acks = new AckBatcher(store, Bob, maxBatch: 100);
        Guid[] ids = [.. Enumerable.Range(0, 250).Select(_ => Guid.NewGuid())];
        foreach (Guid id in ids)
        {
            await acks.AddAsync(id, CancellationToken.None);
        }

        acks.Complete();
        await acks.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([100, 100, 50], store.Calls.Select(c => c.Ids.Count));
        Assert.Equal(ids, store.Calls.SelectMany(c => c.Ids));
    }

    [Fact]
    public async Task A_store_failure_reaches_the_caller()
    {
        var store = new RecordingAckStore { Fail = true };
        store.ReleaseFirstCall.SetResult();
        var acks = new AckBatcher(store, Bob, maxBatch: 10);
        await acks.AddAsync(Guid.NewGuid(), CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => acks.RunAsync(CancellationToken.None));
    }

    /// <summary>Records each AckAsync call; the first one waits until released.</summary>
    private sealed class RecordingAckStore : IMessageStore
    {
        public List<(DeviceAddress Device, List<Guid> Ids)> Calls { get; } = [];

        public TaskCompletionSource FirstCallStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseFirstCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Fail { get; init; }

        public async Task<int> AckAsync(DeviceAddress recipient, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add((recipient, [.. ids]));
            }

            FirstCallStarted.TrySetResult();
            await ReleaseFirstCall.Task;
            return Fail ? throw new InvalidOperationException("store down") : ids.Count;
        }

        public Task<StoreMessagesResult> StoreAsync(
            IReadOnlyList<NewMessage> messages, int maxPendingPerDevice, Action<DeviceAddress, StoredMessage>? onDurable, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<MessagePage> FetchAsync(DeviceAddress recipient, int limit, long afterSequence, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<int> DeleteExpiredAsync(long serverTimestampBefore, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<int> CountAsync(DeviceAddress recipient, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<int> DeleteMailboxAsync(DeviceAddress recipient, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
