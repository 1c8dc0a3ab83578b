using System.Security.Cryptography;
using Backchannel.Relay.Storage;

namespace Backchannel.Relay.Tests.Storage;

/// <summary>The <see cref="IMessageStore"/> contract, run against every backend.</summary>
public abstract class MessageStoreContract : IDisposable
{
    private readonly StoreBackend _backend;
    private readonly DeviceAddress _bob = new(Guid.NewGuid(), 1);
    private readonly DeviceAddress _alice = new(Guid.NewGuid(), 1);

    protected MessageStoreContract(StoreBackend backend)
    {
        _backend = backend;
    }

    private IMessageStore Store => _backend.Messages;

    private NewMessage To(DeviceAddress recipient, long timestamp = 1000, Guid? id = null) =>
        new(recipient, id ?? Guid.NewGuid(), _alice, 3, RandomNumberGenerator.GetBytes(40), timestamp);

    [Fact]
    public async Task Stored_messages_come_back_oldest_first_with_their_fields()
    {
        NewMessage[] batch = [To(_bob, 1), To(_bob, 2), To(_bob, 3)];
        StoreMessagesResult result = await Store.StoreAsync(batch, 100, default);
        Assert.False(result.IsMailboxFull);
        Assert.All(result.Stored, Assert.True);

        MessagePage page = await Store.FetchAsync(_bob, 10, 0, default);
        Assert.False(page.More);
        Assert.Equal(batch.Select(m => m.Id), page.Messages.Select(m => m.Id));
        StoredMessage first = page.Messages[0];
        Assert.Equal(batch[0].Content, first.Content);
        Assert.Equal(_alice, first.Source);
        Assert.Equal(3, first.Type);
        Assert.Equal(1, first.ServerTimestamp);
    }

    [Fact]
    public async Task A_retried_message_is_stored_once()
    {
        NewMessage message = To(_bob);
        Assert.True((await Store.StoreAsync([message], 100, default)).Stored[0]);
        StoreMessagesResult again = await Store.StoreAsync([message with { Content = [1, 2, 3] }, To(_bob)], 100, default);
        Assert.Equal([false, true], again.Stored);

        MessagePage page = await Store.FetchAsync(_bob, 10, 0, default);
        Assert.Equal(2, page.Messages.Count);
        Assert.Equal(message.Content, page.Messages[0].Content);
    }

    [Fact]
    public async Task The_same_id_for_another_device_is_a_different_message()
    {
        Guid id = Guid.NewGuid();
        var bob2 = new DeviceAddress(_bob.Account, 2);
        StoreMessagesResult result = await Store.StoreAsync([To(_bob, id: id), To(bob2, id: id)], 100, default);
        Assert.Equal([true, true], result.Stored);
        Assert.Equal(1, await Store.CountAsync(_bob, default));
        Assert.Equal(1, await Store.CountAsync(bob2, default));
    }

    [Fact]
    public async Task Paging_follows_the_cursor_and_reports_more()
    {
        await Store.StoreAsync([.. Enumerable.Range(0, 5).Select(i => To(_bob, i))], 100, default);
        MessagePage first = await Store.FetchAsync(_bob, 2, 0, default);
        Assert.True(first.More);
        Assert.Equal(2, first.Messages.Count);
        MessagePage second = await Store.FetchAsync(_bob, 2, first.Messages[^1].Sequence, default);
        Assert.True(second.More);
        MessagePage third = await Store.FetchAsync(_bob, 2, second.Messages[^1].Sequence, default);
        Assert.False(third.More);
        Assert.Single(third.Messages);
        Assert.Equal(5, first.Messages.Concat(second.Messages).Concat(third.Messages).Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public async Task Fetching_removes_nothing_and_ack_removes_only_the_named_messages_of_that_device()
    {
        NewMessage keep = To(_bob);
        NewMessage drop = To(_bob);
        await Store.StoreAsync([keep, drop], 100, default);
        await Store.FetchAsync(_bob, 10, 0, default);
        Assert.Equal(2, await Store.CountAsync(_bob, default));

        Assert.Equal(0, await Store.AckAsync(_alice, [drop.Id], default));
        Assert.Equal(0, await Store.AckAsync(new DeviceAddress(_bob.Account, 2), [drop.Id], default));
        Assert.Equal(1, await Store.AckAsync(_bob, [drop.Id, Guid.NewGuid()], default));
        Assert.Equal(0, await Store.AckAsync(_bob, [drop.Id], default));

        MessagePage page = await Store.FetchAsync(_bob, 10, 0, default);
        Assert.Equal(keep.Id, Assert.Single(page.Messages).Id);
    }

    [Fact]
    public async Task A_batch_that_would_overfill_a_mailbox_stores_nothing()
    {
        await Store.StoreAsync([To(_bob), To(_bob)], 3, default);
        DeviceAddress carol = new(Guid.NewGuid(), 1);
        StoreMessagesResult result = await Store.StoreAsync([To(carol), To(_bob), To(_bob)], 3, default);

        Assert.True(result.IsMailboxFull);
        Assert.Equal(_bob, result.FullMailbox);
        Assert.Equal(2, await Store.CountAsync(_bob, default));
        Assert.Equal(0, await Store.CountAsync(carol, default));
    }

    [Fact]
    public async Task New_messages_are_handed_on_once_durable_as_a_fetch_returns_them_and_duplicates_and_refused_batches_are_not()
    {
        var handed = new List<(DeviceAddress Recipient, StoredMessage Message)>();
        DeviceAddress carol = new(Guid.NewGuid(), 1);
        NewMessage retried = To(_bob);
        await Store.StoreAsync([retried], 100, default);
        StoreMessagesResult result = await Store.StoreAsync([To(_bob), retried, To(carol), To(_bob)], 100, (r, m) => handed.Add((r, m)), default);
        Assert.Equal([true, false, true, true], result.Stored);

        // Handed on in mailbox order (ascending sequences), each as a fetch returns it.
        Assert.Equal([_bob, carol, _bob], handed.Select(h => h.Recipient));
        Assert.True(handed.Select(h => h.Message.Sequence).SequenceEqual(handed.Select(h => h.Message.Sequence).Order()));
        MessagePage bobs = await Store.FetchAsync(_bob, 10, 0, default);
        StoredMessage[] fetched = [.. bobs.Messages.Skip(1)];
        Assert.Equal(fetched.Select(m => (m.Id, m.Sequence, m.Type, m.ServerTimestamp, m.Source)),
            handed.Where(h => h.Recipient == _bob).Select(h => (h.Message.Id, h.Message.Sequence, h.Message.Type, h.Message.ServerTimestamp, h.Message.Source)));
        Assert.Equal(fetched.Select(m => m.Content), handed.Where(h => h.Recipient == _bob).Select(h => h.Message.Content));

        handed.Clear();
        StoreMessagesResult full = await Store.StoreAsync([To(carol), To(_bob)], 3, (r, m) => handed.Add((r, m)), default);
        Assert.True(full.IsMailboxFull);
        Assert.Empty(handed);
    }

    [Fact]
    public async Task Duplicates_do_not_count_against_the_quota()
    {
        NewMessage message = To(_bob);
        await Store.StoreAsync([message, To(_bob)], 2, default);
        StoreMessagesResult result = await Store.StoreAsync([message], 2, default);
        Assert.False(result.IsMailboxFull);
        Assert.Equal([false], result.Stored);
    }

    [Fact]
    public async Task Expiry_deletes_only_messages_older_than_the_cutoff()
    {
        NewMessage old = To(_bob, timestamp: 100);
        NewMessage young = To(_bob, timestamp: 200);
        await Store.StoreAsync([old, young], 100, default);

        Assert.Equal(1, await Store.DeleteExpiredAsync(150, default));
        Assert.Equal(young.Id, Assert.Single((await Store.FetchAsync(_bob, 10, 0, default)).Messages).Id);
    }

    [Fact]
    public async Task Sequences_are_not_reused_after_the_newest_message_is_acknowledged()
    {
        NewMessage first = To(_bob);
        await Store.StoreAsync([first], 100, default);
        long cursor = (await Store.FetchAsync(_bob, 10, 0, default)).Messages[0].Sequence;
        await Store.AckAsync(_bob, [first.Id], default);
        await Store.StoreAsync([To(_bob)], 100, default);

        Assert.Single((await Store.FetchAsync(_bob, 10, cursor, default)).Messages);
    }

    [Fact]
    public async Task Fifty_concurrent_batches_are_all_stored()
    {
        NewMessage[] messages = [.. Enumerable.Range(0, 50).Select(_ => To(_bob))];
        StoreMessagesResult[] results = await Task.WhenAll(messages.Select(m => Task.Run(() => Store.StoreAsync([m], 1000, default))));
        Assert.All(results, r => Assert.Equal([true], r.Stored));
        Assert.Equal(50, await Store.CountAsync(_bob, default));
    }

    [Fact]
    public async Task A_sealed_message_is_stored_and_fetched_without_a_source()
    {
        var message = new NewMessage(_bob, Guid.NewGuid(), null, 6, RandomNumberGenerator.GetBytes(40), 5);
        await Store.StoreAsync([message, To(_bob)], 100, default);
        MessagePage page = await Store.FetchAsync(_bob, 10, 0, default);
        Assert.Null(page.Messages[0].Source);
        Assert.True(page.Messages[0].Sealed);
        Assert.Equal(_alice, page.Messages[1].Source);
        Assert.False(page.Messages[1].Sealed);
    }

    [Fact]
    public async Task Deleting_a_mailbox_removes_only_that_devices_messages()
    {
        var other = new DeviceAddress(_bob.Account, 2);
        await Store.StoreAsync([To(_bob), To(_bob), To(other)], 100, default);
        Assert.Equal(2, await Store.DeleteMailboxAsync(_bob, default));
        Assert.Equal(0, await Store.CountAsync(_bob, default));
        Assert.Equal(1, await Store.CountAsync(other, default));
    }

    public void Dispose()
    {
        _backend.Dispose();
        _backend.DeleteFiles();
        GC.SuppressFinalize(this);
    }
}

public sealed class InMemoryMessageStoreTests() : MessageStoreContract(StoreBackend.InMemory());

public sealed class SqliteMessageStoreTests() : MessageStoreContract(StoreBackend.Sqlite());
