using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Delivery;

/// <summary>The hand-off from publishers to streams, driven directly (no server).</summary>
public sealed class StatusEventHubTests
{
    private const string Org = "org_hub";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publish_WhileAReaderDrainsConcurrently_DeliversEveryEventOnceInOrder()
    {
        var hub = new StatusEventHub(capacity: 100_000);
        using var subscription = hub.Subscribe(Org, FeedFilter.All, Ct);
        const int total = 20_000;

        var reader = Task.Run(async () =>
        {
            var seen = new List<long>(total);
            while (seen.Count < total)
            {
                while (subscription.TryRead(out var published) == FeedRead.Event)
                {
                    seen.Add(published!.Position.Seq);
                }

                if (seen.Count < total)
                {
                    await subscription.WaitAsync();
                }
            }

            return seen;
        }, Ct);

        // Two publishers, as the in-memory store's request threads would be, each in its own order.
        await Task.WhenAll(
            Task.Run(() => PublishRange(hub, 0, total / 2), Ct),
            Task.Run(() => PublishRange(hub, total / 2, total), Ct));
        var seen = await reader.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(total, seen.Count);
        Assert.Equal(total, seen.Distinct().Count());
        Assert.True(seen.Where(s => s < total / 2).SequenceEqual(Enumerable.Range(0, total / 2).Select(i => (long)i)));
        Assert.True(seen.Where(s => s >= total / 2).SequenceEqual(Enumerable.Range(total / 2, total / 2).Select(i => (long)i)));
    }

    [Fact]
    public void Publish_BeyondAnUnreadInbox_MarksTheReaderLaggingUntilItResumes()
    {
        var hub = new StatusEventHub(capacity: 4);
        using var slow = hub.Subscribe(Org, FeedFilter.All, Ct);
        using var fast = hub.Subscribe(Org, FeedFilter.All, Ct);

        var fastSeen = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            hub.Publish(Org, [Event(i)]);
            while (fast.TryRead(out var published) == FeedRead.Event)
            {
                fastSeen.Add(published!.Position.Seq);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), fastSeen);
        Assert.Equal(FeedRead.Lagged, slow.TryRead(out _));

        slow.Resume();
        Assert.Equal(FeedRead.Nothing, slow.TryRead(out _));
        hub.Publish(Org, [Event(10)]);
        Assert.Equal(FeedRead.Event, slow.TryRead(out var next));
        Assert.Equal(10, next!.Position.Seq);
    }

    [Fact]
    public void Publish_GivesEachEventOnlyToTheStreamsWhoseFilterCanWantIt()
    {
        var hub = new StatusEventHub();
        using var mine = hub.Subscribe(Org, new FeedFilter(["m-1"], null), Ct);
        using var tagged = hub.Subscribe(Org, new FeedFilter([], "blue"), Ct);
        using var everything = hub.Subscribe(Org, FeedFilter.All, Ct);
        using var otherOrg = hub.Subscribe("org_other", FeedFilter.All, Ct);

        hub.Publish(Org, [Event(1, "m-1"), Event(2, "m-2", "blue"), Event(3, "m-3", "red")]);

        Assert.Equal([1L], Drain(mine));
        Assert.Equal([2L], Drain(tagged));
        Assert.Equal([1L, 2L, 3L], Drain(everything));
        Assert.Empty(Drain(otherOrg));
    }

    [Fact]
    public async Task WaitAsync_ResumesWhenAnEventArrivesOrTheStreamIsCancelled()
    {
        var hub = new StatusEventHub();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var subscription = hub.Subscribe(Org, FeedFilter.All, cancel.Token);

        var waiting = subscription.WaitAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        hub.Publish(Org, [Event(1)]);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal([1L], Drain(subscription));
        var idle = subscription.WaitAsync().AsTask();
        await cancel.CancelAsync();
        await idle.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Throws<OperationCanceledException>(() => subscription.WaitAsync());
    }

    [Fact]
    public void Dispose_StopsDeliveryAndForgetsTheStream()
    {
        var hub = new StatusEventHub();
        var subscription = hub.Subscribe(Org, new FeedFilter(["m-1", "m-2"], null), Ct);
        Assert.Equal(1, hub.SubscriberCount);

        subscription.Dispose();
        hub.Publish(Org, [Event(1, "m-1")]);

        Assert.Equal(0, hub.SubscriberCount);
        Assert.Empty(hub.Organizations);
        Assert.Equal(FeedRead.Nothing, subscription.TryRead(out _));
    }

    [Fact]
    public void Encoded_IsMadeOnceAndSharedByEveryReader()
    {
        var hub = new StatusEventHub();
        using var first = hub.Subscribe(Org, FeedFilter.All, Ct);
        using var second = hub.Subscribe(Org, FeedFilter.All, Ct);
        hub.Publish(Org, [Event(1)]);
        first.TryRead(out var a);
        second.TryRead(out var b);
        var made = 0;

        var x = a!.Encoded(e => { made++; return e.EventId + "!"; });
        var y = b!.Encoded(e => { made++; return e.EventId + "?"; });

        Assert.Same(a, b);
        Assert.Same(x, y);
        Assert.Equal(1, made);
    }

    private static void PublishRange(StatusEventHub hub, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            hub.Publish(Org, [Event(i)]);
        }
    }

    private static List<long> Drain(StatusSubscription subscription)
    {
        var seen = new List<long>();
        while (subscription.TryRead(out var published) == FeedRead.Event)
        {
            seen.Add(published!.Position.Seq);
        }

        return seen;
    }

    private static StatusEvent Event(long seq, string messageId = "m-1", string? tag = null) =>
        new($"1000-{seq}", Org, messageId, DeliveryStatus.Sent, null, DateTimeOffset.UnixEpoch, tag);
}
