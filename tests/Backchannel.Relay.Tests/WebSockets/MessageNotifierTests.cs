using Backchannel.Relay.Storage;
using Backchannel.Relay.WebSockets;

namespace Backchannel.Relay.Tests.WebSockets;

public sealed class MessageNotifierTests
{
    private static readonly DeviceAddress Bob = new(Guid.NewGuid(), 1);

    private static StoredMessage Message(long sequence, int contentBytes = 10) =>
        new(Guid.NewGuid(), new DeviceAddress(Guid.NewGuid(), 1), 1, new byte[contentBytes], 1_000, sequence);

    [Fact]
    public async Task Pushed_messages_wake_the_subscription_and_are_taken_once_in_order()
    {
        var notifier = new MessageNotifier();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(Bob);
        StoredMessage[] messages = [Message(3), Message(7), Message(8)];
        foreach (StoredMessage m in messages)
        {
            notifier.Push(Bob, m);
        }

        notifier.Push(new DeviceAddress(Guid.NewGuid(), 1), Message(9));
        Assert.True(await subscription.WaitAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        (List<StoredMessage> pushed, bool mustRead) = subscription.Take();
        Assert.False(mustRead);
        Assert.Equal(messages, pushed);
        (pushed, mustRead) = subscription.Take();
        Assert.False(mustRead);
        Assert.Empty(pushed);
    }

    [Fact]
    public void Past_the_bound_the_subscription_drops_what_it_kept_and_says_to_read_the_store()
    {
        var notifier = new MessageNotifier();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(Bob);
        for (int i = 1; i <= 1001; i++)
        {
            notifier.Push(Bob, Message(i));
        }

        (List<StoredMessage> pushed, bool mustRead) = subscription.Take();
        Assert.True(mustRead);
        Assert.Empty(pushed);

        // After the read, pushes are kept again.
        notifier.Push(Bob, Message(2000));
        (pushed, mustRead) = subscription.Take();
        Assert.False(mustRead);
        Assert.Equal(2000, Assert.Single(pushed).Sequence);
    }

    [Fact]
    public void Large_contents_are_bounded_by_bytes_too()
    {
        var notifier = new MessageNotifier();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(Bob);
        for (int i = 1; i <= 20; i++)
        {
            notifier.Push(Bob, Message(i, contentBytes: 64 * 1024));
        }

        Assert.True(subscription.Take().MustRead);
    }

    [Fact]
    public void Notify_makes_the_subscription_read_the_store()
    {
        var notifier = new MessageNotifier();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(Bob);
        notifier.Push(Bob, Message(1));
        notifier.Notify(Bob);
        (List<StoredMessage> pushed, bool mustRead) = subscription.Take();
        Assert.True(mustRead);
        Assert.Empty(pushed);
    }

    [Fact]
    public async Task A_revoked_subscription_stops_waiting()
    {
        var notifier = new MessageNotifier();
        using MessageNotifier.Subscription subscription = notifier.Subscribe(Bob);
        notifier.Revoke(Bob);
        Assert.False(await subscription.WaitAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, notifier.CountSubscribers(Bob));
    }
}
