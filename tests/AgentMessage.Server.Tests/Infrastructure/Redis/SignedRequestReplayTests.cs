using System.Net;
using System.Text;
using AgentMessage.Server.Edge.Carrier;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.DeliverySupport;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>
/// A signed carrier request is applied once across instances sharing a real redis-server: the same
/// request replayed to either instance inside the replay window is answered <c>replayed</c> and
/// changes nothing (docs/API.md section 9).
/// </summary>
public sealed class SignedRequestReplayTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan SettleCaches = TimeSpan.FromMilliseconds(800);

    [Fact]
    public async Task StartCapturedOnA_ReplayedOnBAfterAStop_DoesNotResubscribe()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ComplianceSupport.Settings(("AgentMessage:Redis:LocalCacheTtl", "00:00:00.5")));
        var from = NewNumber();
        await instances.A.RecordConsentRestAsync(from);
        var start = Encoding.UTF8.GetBytes(InboundBody(from, "START"));
        var stop = Encoding.UTF8.GetBytes(InboundBody(from, "STOP"));
        var startedAt = SecondsAgo(2);

        Assert.True(await AppliedAsync(instances.A, stop, SecondsAgo(3)));
        Assert.True(await AppliedAsync(instances.A, start, startedAt));
        Assert.True(await AppliedAsync(instances.B, stop, SecondsAgo(1)));
        var (onB, onBBody) = await instances.B.PostSignedAsync(CarrierInboundEndpoint.Route, start, timestamp: startedAt);
        var (onA, onABody) = await instances.A.PostSignedAsync(CarrierInboundEndpoint.Route, start, timestamp: startedAt);
        instances.Clock.Advance(SettleCaches);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (onB.StatusCode, onA.StatusCode));
        Assert.True((bool)onBBody["data"]!["replayed"]!);
        Assert.False((bool)onBBody["data"]!["applied"]!);
        Assert.True((bool)onABody["data"]!["replayed"]!);
        Assert.Equal((453, "CONSENT_REQUIRED"), await instances.A.SendRestAsync(from));
        Assert.Equal("CONSENT_REQUIRED", await instances.B.SendGrpcAsync(from));
    }

    [Fact]
    public async Task ReceiptAppliedOnA_ReplayedOnB_IsAnsweredReplayed()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ComplianceSupport.Settings());
        var id = await instances.A.SendAsync(OrdinaryRecipient);
        var receipt = Encoding.UTF8.GetBytes(ReceiptBody(id, "UNDELIV", "unreachable"));
        var at = Now();

        var (first, firstBody) = await instances.A.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);
        var (replay, replayBody) = await instances.B.PostSignedAsync(CarrierReceiptEndpoint.Route, receipt, timestamp: at);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, replay.StatusCode));
        Assert.Equal("""{"success":true,"data":{"applied":true}}""", firstBody.ToJsonString());
        Assert.Equal("""{"success":true,"data":{"applied":false,"replayed":true}}""", replayBody.ToJsonString());
        Assert.Equal("undelivered", await instances.B.StatusAsync(id));
    }

    private static async Task<bool> AppliedAsync(TestServer server, byte[] inbound, string timestamp)
    {
        var (response, body) = await server.PostSignedAsync(CarrierInboundEndpoint.Route, inbound, timestamp: timestamp);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(body["data"]!["replayed"]);
        return (bool)body["data"]!["applied"]!;
    }
}
