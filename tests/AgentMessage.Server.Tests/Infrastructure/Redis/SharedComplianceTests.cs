using System.Net;
using AgentMessage.Core.Access;
using AgentMessage.Server.Infrastructure.Lookups;
using AgentMessage.V1;
using Grpc.Core;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>
/// Consent, lookups and inbound keywords on a real redis-server with two instances: a change made
/// through instance A takes effect on instance B within LocalCacheTtl (0.5 s here), on both faces.
/// </summary>
public sealed class SharedComplianceTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan SettleCaches = TimeSpan.FromMilliseconds(800);

    private static Dictionary<string, string> ShortCache() => Settings(("AgentMessage:Redis:LocalCacheTtl", "00:00:00.5"));

    [Fact]
    public async Task ConsentRecordedOnA_InboundStopOnA_Gives453OnB_AndStartOnARestoresB()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());
        var number = NewNumber();

        var (recorded, _) = await instances.A.RecordConsentRestAsync(number);
        instances.Clock.Advance(SettleCaches); // B may have no cached answer yet; this keeps the test honest either way
        Assert.Equal(HttpStatusCode.OK, recorded.StatusCode);
        Assert.Equal(202, (await instances.B.SendRestAsync(number)).Status);
        Assert.Equal("OK", await instances.B.SendGrpcAsync(number));

        await instances.A.InboundAppliedAsync(number, "STOP", "opt_out");
        instances.Clock.Advance(SettleCaches);
        Assert.Equal((453, "CONSENT_REQUIRED"), await instances.B.SendRestAsync(number));
        Assert.Equal("CONSENT_REQUIRED", await instances.B.SendGrpcAsync(number));
        Assert.Equal((453, "CONSENT_REQUIRED"), await instances.A.SendRestAsync(number)); // A forgot its own entry at once

        await instances.A.InboundAppliedAsync(number, "Start", "opt_in");
        instances.Clock.Advance(SettleCaches);
        Assert.Equal(202, (await instances.B.SendRestAsync(number)).Status);
        Assert.Equal("OK", await instances.B.SendGrpcAsync(number));
    }

    [Fact]
    public async Task RevokeThroughGrpcOnB_StopsSendsOnA_AndTheRecordIsKept()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());
        var number = NewNumber();
        await instances.A.Consents().RecordConsentAsync(new RecordConsentRequest { Number = number, Source = "checkout" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.Equal(202, (await instances.A.SendRestAsync(number)).Status);

        var revoked = await instances.B.Consents().RevokeConsentAsync(new RevokeConsentRequest { Number = number }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        instances.Clock.Advance(SettleCaches);

        Assert.Equal(ConsentStatus.OptedOut, revoked.Consent.Status);
        Assert.Equal("checkout", revoked.Consent.Source);
        Assert.Equal((453, "CONSENT_REQUIRED"), await instances.A.SendRestAsync(number));
        var (_, stored) = await instances.A.Rest.CallAsync(Get($"/v1/consents/%2B{number[1..]}", TestServer.DevKey));
        Assert.Equal("opted_out", (string)stored["data"]!["status"]!);
    }

    [Fact]
    public async Task LandlineLookupOnA_MakesTheNextSendOnB422LineTypeBlocked_OnBothFaces()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());
        const string landline = "+442079460123";
        await instances.A.RecordConsentRestAsync(landline);
        instances.Clock.Advance(SettleCaches);
        Assert.Equal(202, (await instances.B.SendRestAsync(landline)).Status);

        var (lookup, body) = await instances.A.Rest.CallAsync(Get($"/v1/lookups/{landline}", TestServer.DevKey));
        instances.Clock.Advance(SettleCaches);

        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        Assert.Equal("landline", (string)body["data"]!["line_type"]!);
        Assert.Equal((422, "LINE_TYPE_BLOCKED"), await instances.B.SendRestAsync(landline));
        Assert.Equal("LINE_TYPE_BLOCKED", await instances.B.SendGrpcAsync(landline));
    }

    [Fact]
    public async Task SimulatorTableLandline_LookedUpThroughGrpc_IsRecordedInRedis()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());

        var lookup = await instances.B.Lookups().LookupNumberAsync(new LookupNumberRequest { Number = SimulatorLineTypeProvider.LandlineNumber }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        instances.Clock.Advance(SettleCaches);

        Assert.Equal(V1.LineType.Landline, lookup.LineType);
        Assert.Equal("simulator", lookup.Source);
        Assert.Equal((422, "LINE_TYPE_BLOCKED"), await instances.A.SendRestAsync(SimulatorLineTypeProvider.LandlineNumber));
    }

    [Fact]
    public async Task OrganizationA_CannotSeeOrAffectOrganizationB()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());
        var orgB = $"org_b_{Guid.NewGuid():N}";
        var numberOfOrgB = NewNumber();
        var recipient = NewNumber();
        var keyB = await instances.A.AddOrganizationAsync(orgB, [Scopes.ConsentsWrite, Scopes.MessagesSend], ownedNumber: numberOfOrgB);
        await instances.A.RecordConsentRestAsync(recipient, keyB);

        var (get, _) = await instances.B.Rest.CallAsync(Get($"/v1/consents/{recipient}", TestServer.DevKey));
        var (revoke, _) = await instances.B.RevokeConsentRestAsync(recipient);
        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await instances.B.Consents().GetConsentAsync(new GetConsentRequest { Number = recipient }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        var listA = await instances.B.Consents().ListConsentsAsync(new ListConsentsRequest { PageSize = 100 }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var listB = await instances.B.Consents().ListConsentsAsync(new ListConsentsRequest(), TestServer.Bearer(keyB), cancellationToken: Ct);
        // An inbound STOP to the development organization's number leaves an opt-out there (a STOP
        // always leaves a record) and withdraws nothing from B.
        var (_, inbound) = await instances.B.PostInboundAsync(InboundBody(recipient, "STOP"));
        instances.Clock.Advance(SettleCaches);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        Assert.Equal(StatusCode.NotFound, grpc.StatusCode);
        Assert.DoesNotContain(recipient, listA.Consents.Select(c => c.Number));
        Assert.Equal([recipient], listB.Consents.Select(c => c.Number));
        Assert.True((bool)inbound["data"]!["applied"]!);
        Assert.Equal(202, (await instances.B.SendRestAsync(recipient, keyB, from: numberOfOrgB)).Status);
    }

    [Fact]
    public async Task ListConsents_PagesThroughTheRedisIndexInNumberOrder()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache());
        var org = $"org_list_{Guid.NewGuid():N}";
        var key = await instances.A.AddOrganizationAsync(org, [Scopes.ConsentsWrite]);
        string[] numbers = ["+15550000203", "+15550000201", "+15550000202"];
        foreach (var number in numbers)
        {
            await instances.A.RecordConsentRestAsync(number, key);
        }

        await instances.A.RevokeConsentRestAsync("+15550000202", key);
        var (first, firstBody) = await instances.B.Rest.CallAsync(Get("/v1/consents?page_size=2", key));
        var token = (string)firstBody["data"]!["next_page_token"]!;
        var (_, secondBody) = await instances.B.Rest.CallAsync(Get($"/v1/consents?page_size=2&page_token={token}", key));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(["+15550000201", "+15550000202"], firstBody["data"]!["consents"]!.AsArray().Select(c => (string)c!["number"]!));
        Assert.Equal("opted_out", (string)firstBody["data"]!["consents"]![1]!["status"]!);
        Assert.Equal(["+15550000203"], secondBody["data"]!["consents"]!.AsArray().Select(c => (string)c!["number"]!));
        Assert.Equal(string.Empty, (string)secondBody["data"]!["next_page_token"]!);
    }
}
