using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Client.Tests.Streaming;

/// <summary>
/// StreamStatus across a server restart on Redis: the server the client streams from stops (its
/// streams end with UNAVAILABLE), events happen on another instance while it is down, the client
/// fails to reconnect at least once, then the server comes back on the same port and the client
/// resumes after the last event it saw, with nothing lost and nothing twice.
/// </summary>
public sealed class StreamResumeTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamStatus_ServerStopsAndComesBack_ResumesAfterTheLastEventWithNoGapAndNoDuplicate()
    {
        var first = await LiveServer.StartAsync(redis.Server);
        var port = first.GrpcUrl.Port;
        await using var other = await LiveServer.StartAsync(redis.Server);
        using var otherClient = Clients.For(other, new FaultInjector());
        var injector = new FaultInjector();
        var clock = new WatchedClock();
        using var client = Clients.For(first, injector, retry => retry.MaxDelay = TimeSpan.FromSeconds(1), clock);
        var tag = Clients.NewTag();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await client.SendMessageAsync(Clients.Send(tag), cancellationToken: Ct)).Message.Id);
        }

        var firstStopped = false;
        LiveServer? restarted = null;
        Task? restarting = null;
        var events = new List<StatusEvent>();
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await foreach (var statusEvent in client.StreamStatus(new StreamStatusRequest { MessageIds = { ids } }, patience.Token))
            {
                events.Add(statusEvent);
                if (events.Count == 3)
                {
                    // Every message's current state has arrived: take the server away, change
                    // two messages elsewhere, and bring the server back only once the client has
                    // found it gone: it waits once after the shutdown's UNAVAILABLE, and again
                    // after a reconnection the closed port refused.
                    await first.DisposeAsync();
                    firstStopped = true;
                    await otherClient.CancelMessageAsync(new CancelMessageRequest { Id = ids[0] }, Ct);
                    await otherClient.CancelMessageAsync(new CancelMessageRequest { Id = ids[1] }, Ct);
                    var waitsBefore = clock.Waits;
                    var reconnectFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    clock.OnWait = waits =>
                    {
                        if (waits >= waitsBefore + 2)
                        {
                            reconnectFailed.TrySetResult();
                        }
                    };
                    restarting = Task.Run(
                        async () =>
                        {
                            await reconnectFailed.Task.WaitAsync(patience.Token);
                            restarted = await LiveServer.StartAsync(redis.Server, grpcPort: port);
                        },
                        Ct);
                }
                else if (events.Count == 5)
                {
                    await otherClient.CancelMessageAsync(new CancelMessageRequest { Id = ids[2] }, Ct);
                }
            }
        }
        finally
        {
            if (!firstStopped)
            {
                await first.DisposeAsync();
            }

            if (restarting is not null)
            {
                // Done already when the stream ended as it should; otherwise stop waiting, so the
                // stream's own failure is what the test reports.
                await patience.CancelAsync();
                await restarting.ContinueWith(_ => { }, TaskScheduler.Default);
            }

            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
        }

        Assert.Equal(6, events.Count);
        Assert.Equal(ids.Order(), events.Take(3).Select(e => e.MessageId).Order());
        Assert.All(events.Take(3), e => Assert.Equal(MessageStatus.Queued, e.Status));
        Assert.Equal(ids, events.Skip(3).Select(e => e.MessageId));
        Assert.All(events.Skip(3), e => Assert.Equal(MessageStatus.Canceled, e.Status));
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        Assert.True(clock.Waits >= 2, "the client should have waited after the shutdown and after a refused reconnection");
        Assert.True(injector.AttemptsOf("StreamStatus").Count >= 2, "the client should have opened the stream and opened it again");
    }

    [Fact]
    public async Task StreamStatus_UnknownMessage_ThrowsNotFoundWithoutReconnecting()
    {
        await using var server = await LiveServer.StartAsync();
        var injector = new FaultInjector();
        using var client = Clients.For(server, injector);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in client.StreamStatus(new StreamStatusRequest { MessageIds = { Guid.NewGuid().ToString() } }, Ct))
            {
            }
        });

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Single(injector.AttemptsOf("StreamStatus"));
    }

    [Fact]
    public async Task StreamStatus_ConnectionRefusedTwice_ReconnectsAndDeliversTheMessagesState()
    {
        await using var server = await LiveServer.StartAsync();
        var injector = new FaultInjector { Plan = (method, n) => method == "StreamStatus" && n <= 2 ? Fault.ConnectionRefused : Fault.None };
        using var client = Clients.For(server, injector);
        var sent = await client.SendMessageAsync(Clients.Send(Clients.NewTag()), cancellationToken: Ct);
        await client.CancelMessageAsync(new CancelMessageRequest { Id = sent.Message.Id }, Ct);

        var events = new List<StatusEvent>();
        await foreach (var statusEvent in client.StreamStatus(new StreamStatusRequest { MessageIds = { sent.Message.Id } }, Ct))
        {
            events.Add(statusEvent);
        }

        var only = Assert.Single(events);
        Assert.Equal(MessageStatus.Canceled, only.Status);
        Assert.Equal(3, injector.AttemptsOf("StreamStatus").Count);
    }
}
