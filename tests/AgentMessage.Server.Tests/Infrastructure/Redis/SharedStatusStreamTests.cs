using AgentMessage.Core.Access;
using AgentMessage.Core.Delivery;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Redis;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using DomainStatus = AgentMessage.Core.Messaging.DeliveryStatus;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>StreamStatus on two instances sharing a real redis-server: what a stream's lines carry,
/// and what ends a stream from outside it.</summary>
public sealed class SharedStatusStreamTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NamedMessagesAfterACursor_FirstLineCarriesTheIdOfTheEventThatSetTheState()
    {
        await using var instances = await StartAsync();
        using var all = instances.B.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await all.ResponseHeadersAsync;
        var delivered = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);
        await MoveAsync(instances.A, delivered, DomainStatus.Sending, DomainStatus.Delivered);
        var moving = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);
        await MoveAsync(instances.A, moving, DomainStatus.Sending);
        var log = new List<V1.StatusEvent>();
        while (log.Count < 5)
        {
            log.Add(await NextAsync(all));
        }

        // Resuming after the newest event: the delivered message's line is its delivered event; the
        // other one's current state came from the newest event itself.
        using var resumed = instances.B.Messaging.StreamStatus(
            new StreamStatusRequest { MessageIds = { delivered, moving }, After = log[4].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var first = await NextAsync(resumed);
        var second = await NextAsync(resumed);

        // Resuming after the moving message's first event: its sending event comes from the log, once.
        using var earlier = instances.A.Messaging.StreamStatus(
            new StreamStatusRequest { MessageIds = { moving }, After = log[3].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var fromLog = await NextAsync(earlier);
        await MoveAsync(instances.A, moving, DomainStatus.Failed);
        var next = await NextAsync(earlier);

        Assert.Equal((delivered, MessageStatus.Delivered, log[2].EventId), (first.MessageId, first.Status, first.EventId));
        Assert.Equal((moving, MessageStatus.Sending, log[4].EventId), (second.MessageId, second.Status, second.EventId));
        Assert.Equal((MessageStatus.Sending, log[4].EventId), (fromLog.Status, fromLog.EventId));
        Assert.Equal(MessageStatus.Failed, next.Status);
    }

    [Fact]
    public async Task KeyRevokedOnOneInstance_EndsItsStreamsOnTheOtherWithUnauthorized()
    {
        await using var instances = await StartAsync(("AgentMessage:Admin:Token", Operator.Token));
        var (key, keyId) = await instances.A.CreateKeyAsync(DevSeed.OrganizationId, Scopes.MessagesRead);
        using var rest = await RestStream.OpenAsync(instances.B, "/v1/messages/status/stream", key);
        using var grpc = instances.B.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(key), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;

        var (revoked, _) = await instances.A.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/{keyId}:revoke");
        var last = Assert.Single(await rest.ReadToEndAsync());
        var (_, error) = await GrpcStreams.ReadToEndAsync(grpc);

        Assert.Equal(System.Net.HttpStatusCode.OK, revoked.StatusCode);
        RestRequests.AssertJsonEqual(RestRequests.ExpectedError(rest.Response, "UNAUTHORIZED", "the API key of this stream was revoked"), last);
        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("UNAUTHORIZED", error.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
    }

    [Fact]
    public async Task KeyCap_CountsTheStreamsOfEveryInstance()
    {
        await using var instances = await StartAsync(("AgentMessage:Streams:MaxPerKey", "2"));
        using var onA = instances.A.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await onA.ResponseHeadersAsync;
        using var onB = await RestStream.OpenAsync(instances.B, "/v1/messages/status/stream", TestServer.DevKey);

        var (refused, body) = await instances.A.Rest.CallAsync(RestRequests.Get("/v1/messages/status/stream", TestServer.DevKey));
        using var third = instances.B.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var exhausted = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext(Ct));

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("RATE_LIMITED", (string)body["error"]!["code"]!);
        Assert.Equal("api_key", (string)body["error"]!["details"]!["scope"]!);
        Assert.Equal(StatusCode.ResourceExhausted, exhausted.StatusCode);
    }

    [Fact]
    public async Task StreamsOfAnInstanceThatVanished_StopCountingOnceTheirLeasesRunOut()
    {
        await using var instances = await StartAsync(("AgentMessage:Streams:MaxPerKey", "1"));

        // A stream an instance held when it died: its lease, never renewed nor released.
        var expires = (instances.Clock.GetUtcNow() + OpenStreams.LeaseLifetime).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await instances.Redis.CommandAsync("ZADD", RedisKeys.StreamLeasesOfKey(DevSeed.OrganizationId, "key_development")!, expires, "lease-of-a-dead-instance");
        await instances.Redis.CommandAsync("ZADD", RedisKeys.StreamLeases(DevSeed.OrganizationId)!, expires, "lease-of-a-dead-instance");
        var (whileHeld, _) = await instances.B.Rest.CallAsync(RestRequests.Get("/v1/messages/status/stream", TestServer.DevKey));

        instances.Clock.Advance(OpenStreams.LeaseLifetime + TimeSpan.FromSeconds(1));
        using var afterwards = await RestStream.OpenAsync(instances.B, "/v1/messages/status/stream", TestServer.DevKey);

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, whileHeld.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, afterwards.Response.StatusCode);
    }

    [Fact]
    public async Task BurstOfSends_RingsTheDoorbellsLessThanOncePerSend_AndAStreamElsewhereGetsEveryEvent()
    {
        await using var instances = await StartAsync();
        using var all = instances.B.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await all.ResponseHeadersAsync;
        var rings = 0;
        var dispatchRings = 0;
        var subscriber = instances.Redis.Connection.GetSubscriber();
        await subscriber.SubscribeAsync(RedisKeys.EventsChannel, (_, _) => Interlocked.Increment(ref rings));
        await subscriber.SubscribeAsync(RedisKeys.DispatchChannel, (_, _) => Interlocked.Increment(ref dispatchRings));

        // A marker left by a ring a moment ago keeps a send quiet; once it lapses, the next send rings.
        RedisKey[] markers = [RedisKeys.EventsRung(DevSeed.OrganizationId), RedisKeys.DispatchRung(DevSeed.OrganizationId)];
        foreach (var marker in markers)
        {
            await instances.Redis.Database.StringSetAsync(marker, "1", TimeSpan.FromSeconds(30));
        }

        var quiet = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);
        await instances.Redis.Database.KeyDeleteAsync(markers);
        var ringing = await instances.A.SendAsync(DeliverySupport.OrdinaryRecipient);
        var burst = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => instances.A.SendAsync(DeliverySupport.OrdinaryRecipient)));

        var sent = new HashSet<string>([quiet, ringing, .. burst]);
        var seen = new HashSet<string>();
        while (seen.Count < sent.Count)
        {
            var next = await NextAsync(all);
            Assert.Equal(MessageStatus.Queued, next.Status);
            Assert.True(seen.Add(next.MessageId), $"{next.MessageId} came twice");
        }

        await subscriber.UnsubscribeAllAsync();
        Assert.Equal(sent, seen);
        Assert.InRange(rings, 1, sent.Count - 1);
        Assert.InRange(dispatchRings, 1, sent.Count - 1);
    }

    private Task<RedisInstances> StartAsync(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string> { ["AgentMessage:Delivery:Workers"] = "0" };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return RedisInstances.StartAsync(redis.Server, settings);
    }

    private static async Task MoveAsync(TestServer server, string id, params DomainStatus[] statuses)
    {
        var store = server.Services.GetRequiredService<IMessageStatusStore>();
        foreach (var status in statuses)
        {
            Assert.NotNull(await store.TransitionAsync(DevSeed.OrganizationId, id, status, null, Ct));
        }
    }

    private static async Task<V1.StatusEvent> NextAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current.Event;
    }
}
