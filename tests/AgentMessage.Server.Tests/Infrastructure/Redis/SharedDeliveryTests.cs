using System.Net;
using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Delivery's guarantees (docs/API.md section 9) on a real redis-server with two instances sharing it.</summary>
public sealed class SharedDeliveryTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendOnA_StreamOnB_SeesQueuedSendingSentDeliveredInOrder()
    {
        await using var instances = await StartAsync();
        using var stream = instances.B.Messaging.StreamStatus(new StreamStatusRequest { Tag = "e2e" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await stream.ResponseHeadersAsync;

        var sent = await instances.A.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = "hi", Tag = "e2e" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var events = new List<V1.StatusEvent>();
        while (events.Count < 4)
        {
            events.Add(await NextAsync(stream));
        }

        Assert.All(events, e => Assert.Equal(sent.Message.Id, e.MessageId));
        Assert.Equal([MessageStatus.Queued, MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered], events.Select(e => e.Status));
        Assert.Equal(events.Select(e => e.EventId).Distinct().Count(), events.Count);
    }

    [Fact]
    public async Task UndeliveredAndFailedPaths_EndTheNamedStreamWithTheirErrorCodes()
    {
        await using var instances = await StartAsync();
        var undelivered = await instances.A.SendAsync("+15550000001");
        var failed = await instances.A.SendAsync("+15550000002");

        using var stream = instances.B.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { undelivered, failed } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var events = new List<V1.StatusEvent>();
        await foreach (var response in stream.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(response.Event);
        }

        var last = events.GroupBy(e => e.MessageId).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(MessageStatus.Undelivered, last[undelivered].Status);
        Assert.Equal("unreachable", last[undelivered].ErrorCode);
        Assert.Equal(MessageStatus.Failed, last[failed].Status);
        Assert.Equal("carrier_rejected", last[failed].ErrorCode);
    }

    [Fact]
    public async Task DisconnectedStream_ResumedOnTheOtherInstance_MissesNothingAndRepeatsNothing()
    {
        await using var instances = await StartAsync(("AgentMessage:Carrier:Simulator:ReceiptLatency", "00:00:00.500"));
        var seen = new List<V1.StatusEvent>();
        using (var first = instances.B.Messaging.StreamStatus(new StreamStatusRequest { Tag = "resume" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct))
        {
            await first.ResponseHeadersAsync;
            await instances.A.Messaging.SendMessageAsync(
                new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = "hi", Tag = "resume" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
            seen.Add(await NextAsync(first));
        }

        using var resumed = instances.A.Messaging.StreamStatus(new StreamStatusRequest { Tag = "resume", After = seen[^1].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        while (seen[^1].Status != MessageStatus.Delivered)
        {
            seen.Add(await NextAsync(resumed));
        }

        Assert.Equal([MessageStatus.Queued, MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered], seen.Select(e => e.Status));
        Assert.Equal(4, seen.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public async Task ResumeFromTheStartOfAnUntrimmedLog_IsAccepted()
    {
        await using var instances = await StartAsync(("AgentMessage:Delivery:Workers", "0"));
        var id = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);

        using var resumed = instances.B.Messaging.StreamStatus(new StreamStatusRequest { After = "0-0" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var first = await NextAsync(resumed);

        Assert.Equal(id, first.MessageId);
        Assert.Equal(MessageStatus.Queued, first.Status);
    }

    [Fact]
    public async Task ResumeFromAnEventIdAheadOfTheLog_IsRefused()
    {
        await using var instances = await StartAsync(("AgentMessage:Delivery:Workers", "0"));
        await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);

        using var ahead = instances.B.Messaging.StreamStatus(new StreamStatusRequest { After = "99999999999999-0" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => ahead.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
    }

    [Fact]
    public async Task InstanceStoppedWithPendingMessages_TheOtherDeliversThem()
    {
        await redis.Server.FlushAsync();

        // A takes a message and hangs in its carrier submission; a second one waits in the queue.
        // The lease a taker gives a message is its own ReclaimAfter: a deployment sets one value for all instances.
        var a = await TestServer.StartAsync(Settings(("AgentMessage:Delivery:ReclaimAfter", "00:00:03"), ("AgentMessage:Carrier:Simulator:SubmitLatency", "00:01:00")));
        string held, waiting;
        try
        {
            held = await a.SendAsync(DeliverySupport.OrdinaryRecipient);
            waiting = await a.SendAsync(DeliverySupport.OrdinaryRecipient);
            await a.WaitForStatusAsync(held, "sending");
        }
        finally
        {
            await a.DisposeAsync();
        }

        // The other instance takes what is waiting and, once A's lease has run out, the held one too.
        await using var b = await TestServer.StartAsync(Settings(("AgentMessage:Delivery:ReclaimAfter", "00:00:00.500")));
        await b.WaitForStatusAsync(held, "delivered", timeoutSeconds: 30);
        await b.WaitForStatusAsync(waiting, "delivered", timeoutSeconds: 30);
    }

    [Fact]
    public async Task InstanceStartedWhileRedisIsDown_SeedsServesAndDeliversOnceItReturns()
    {
        await redis.Server.FlushAsync();
        await redis.Server.StopAsync();
        TestServer? server = null;
        try
        {
            server = await TestServer.StartAsync(Settings());
            var (notReady, _) = await server.Rest.CallAsync(RestRequests.Get("/readyz", null));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }
        finally
        {
            await redis.Server.RestartAsync(Ct);
        }

        await using (server)
        {
            // The postponed seed, the doorbells and the workers all catch up without a restart.
            string? id = null;
            for (var attempt = 0; attempt < 150 && id is null; attempt++)
            {
                await Task.Delay(100, Ct);
                var (response, body) = await server.Rest.CallAsync(RestRequests.Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, RestRequests.SpecExampleBody));
                id = response.StatusCode == HttpStatusCode.Accepted ? (string)body["data"]!["id"]! : null;
            }

            Assert.NotNull(id);
            await server.WaitForStatusAsync(id, "delivered", timeoutSeconds: 30);
        }
    }

    [Fact]
    public async Task DuplicateReceipt_OnAnyInstance_ChangesNothing()
    {
        await using var instances = await StartAsync();
        var id = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);
        var delivered = await instances.B.WaitForStatusAsync(id, "delivered");

        var (duplicate, body) = await DeliverySupport.PostReceiptAsync(instances.B, DeliverySupport.ReceiptBody(id, "DELIVRD"));
        var (late, _) = await DeliverySupport.PostReceiptAsync(instances.A, DeliverySupport.ReceiptBody(id, "UNDELIV", "late"));
        var after = await instances.A.GetMessageAsync(id);

        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        Assert.False((bool)body["data"]!["applied"]!);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("delivered", (string)after["status"]!);
        Assert.Equal((string)delivered["updated_at"]!, (string)after["updated_at"]!);
    }

    private Task<RedisInstances> StartAsync(params (string Key, string Value)[] extra) => RedisInstances.StartAsync(redis.Server, Settings(extra));

    private Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = DeliverySupport.Settings(extra);
        settings["AgentMessage:Redis:Configuration"] = redis.Server.Configuration;
        settings["AgentMessage:Dev:Seed"] = "true";
        return settings;
    }

    private static async Task<V1.StatusEvent> NextAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current.Event;
    }
}
