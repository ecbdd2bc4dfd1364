using System.Globalization;
using System.Net;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Redis;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Redis.Messaging;

/// <summary>
/// Messages on Redis are kept for the retention once the carrier has them, never while they are on
/// their way; what they leave in the indexes goes too, so Redis does not grow without end.
/// </summary>
public sealed class RetentionTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Org = DevSeed.OrganizationId;

    private static readonly TimeSpan Retention = TimeSpan.FromMilliseconds(400);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeliveredMessage_ExpiresAfterTheRetention_QueuedOneStays_ListingDropsWhatExpired()
    {
        await using var instances = await StartAsync();
        var server = instances.A;
        var delivered = await server.SendAsync("+15554443333");
        var queued = await server.SendAsync("+15554443333");
        await DeliverAsync(server, delivered);

        var ttl = long.Parse(await redis.Server.CommandAsync("PTTL", MessageKey(delivered)), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 1, (long)Retention.TotalMilliseconds);
        Assert.Equal("-1", await redis.Server.CommandAsync("PTTL", MessageKey(queued)));

        // Redis expires the key on its own clock: wait for that, not for a guessed time.
        Assert.True(await GoneAsync(delivered));
        var (gone, _) = await server.Rest.CallAsync(Get($"/v1/messages/{delivered}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var grpcGone = await Assert.ThrowsAsync<RpcException>(async () => await instances.B.Messaging.GetMessageAsync(
            new GetMessageRequest { Id = delivered }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        Assert.Equal(StatusCode.NotFound, grpcGone.StatusCode);
        var grpcList = await instances.B.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.Equal([queued], grpcList.Messages.Select(m => m.Id));
        Assert.Equal("queued", (string)(await server.GetMessageAsync(queued))["status"]!);

        var (list, listBody) = await server.Rest.CallAsync(Get("/v1/messages", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal([queued], listBody["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Equal("1", await redis.Server.CommandAsync("ZCARD", (string)RedisKeys.MessageIndex(Org)!));
    }

    [Fact]
    public async Task Sweep_DropsTheIndexEntriesOfExpiredMessages_AndStopsAtTheFirstLiveOne()
    {
        await using var instances = await StartAsync();
        var server = instances.A;
        var old = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            old.Add(await server.SendAsync("+15554443333"));
        }

        foreach (var id in old)
        {
            await DeliverAsync(server, id);
        }

        var live = await server.SendAsync("+15554443333");
        foreach (var id in old)
        {
            Assert.True(await GoneAsync(id));
        }

        var sweeper = instances.B.Services.GetRequiredService<RedisRetentionSweeper>();
        Assert.Equal(3, await sweeper.SweepAllAsync(Ct));
        Assert.Equal(live, await redis.Server.CommandAsync("ZRANGE", (string)RedisKeys.MessageIndex(Org)!, "0", "-1"));
        Assert.Equal(0, await sweeper.SweepAllAsync(Ct));
    }

    [Fact]
    public async Task InboundMessage_ExpiresAfterTheRetention_AndTheSweepDropsItFromBothIndexes_OfAnOrganizationThatNeverSent()
    {
        await using var instances = await StartAsync();
        var id = await instances.A.ReceiveAsync(ComplianceSupport.NewNumber(), DevSeed.SenderNumber, "hello");

        var ttl = long.Parse(await redis.Server.CommandAsync("PTTL", MessageKey(id)), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 1, (long)Retention.TotalMilliseconds);
        Assert.True(await GoneAsync(id));
        var sweeper = instances.B.Services.GetRequiredService<RedisRetentionSweeper>();

        Assert.Equal(2, await sweeper.SweepAllAsync(Ct));
        Assert.Equal("0", await redis.Server.CommandAsync("ZCARD", (string)RedisKeys.MessageIndex(Org)!));
        Assert.Equal("0", await redis.Server.CommandAsync("ZCARD", (string)RedisKeys.InboundIndex(Org)!));
    }

    [Fact]
    public async Task TagIndex_ExpiresTwiceTheRetentionAfterItsLastSend()
    {
        await using var instances = await StartAsync();
        var (sent, _) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from": "+15551112222", "to": "+15554443333", "text": "tagged", "tag": "campaign-7"}"""));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        var ttl = long.Parse(await redis.Server.CommandAsync("PTTL", (string)RedisKeys.TagIndex(Org, "campaign-7")!), CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 1, (long)(Retention * 2).TotalMilliseconds);
    }

    private Task<RedisInstances> StartAsync() => RedisInstances.StartAsync(redis.Server, new Dictionary<string, string>
    {
        ["AgentMessage:Messaging:Retention"] = Retention.ToString("c", CultureInfo.InvariantCulture),
        ["AgentMessage:Carrier:ReceiptSecret"] = DeliverySupport.ReceiptSecret,
    });

    private static string MessageKey(string id) => (string)RedisKeys.Message(Org, id)!;

    /// <summary>Whether Redis expired the message within ten retentions.</summary>
    private Task<bool> GoneAsync(string id) =>
        Eventually.HoldsAsync(async () => !await redis.Server.Database.KeyExistsAsync(MessageKey(id)), Retention * 10, Ct);

    /// <summary>Walks the message to delivered as the dispatcher and a receipt would (these servers run no workers).</summary>
    private static async Task DeliverAsync(TestServer server, string id)
    {
        var statuses = server.Services.GetRequiredService<IMessageStatusStore>();
        foreach (var status in new[] { DeliveryStatus.Sending, DeliveryStatus.Sent, DeliveryStatus.Delivered })
        {
            Assert.NotNull(await statuses.TransitionAsync(Org, id, status, null, Ct));
        }
    }
}
