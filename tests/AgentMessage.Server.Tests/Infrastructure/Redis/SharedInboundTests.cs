using System.Net;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Inbound messages on a real redis-server with two instances: an arrival on one is read,
/// listed and streamed on the other, and a repeated delivery to the other stores nothing.</summary>
public sealed class SharedInboundTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task AnArrivalOnA_IsStreamedListedAndReadOnB_AndItsRepeatOnBStoresNothing()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, Settings());
        var person = NewNumber();
        using var stream = instances.B.Messaging.StreamStatus(new StreamStatusRequest { Direction = Direction.Inbound }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await stream.ResponseHeadersAsync;

        var body = InboundMessageBody(person, DevSeed.SenderNumber, "can I move my appointment?", "carrier-77");
        var (_, onA) = await instances.A.PostInboundAsync(body);
        var id = (string)onA["data"]!["message_id"]!;
        Assert.True(await stream.ResponseStream.MoveNext(Ct));
        var streamed = stream.ResponseStream.Current.Event;
        var (_, onB) = await instances.B.PostInboundAsync(body);
        var (listed, list) = await instances.B.Rest.CallAsync(Get($"/v1/messages?direction=inbound&from={Uri.EscapeDataString(person)}", TestServer.DevKey));
        var read = await instances.B.Messaging.GetMessageAsync(new GetMessageRequest { Id = id }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        Assert.Equal((id, MessageStatus.Received, Direction.Inbound), (streamed.MessageId, streamed.Status, streamed.Direction));
        AssertJsonEqual(onA, onB);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal([id], list["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        Assert.Equal((Direction.Inbound, MessageStatus.Received, "can I move my appointment?"), (read.Message.Direction, read.Message.Status, read.Message.Text));
    }
}
