using System.Net;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>
/// The operator API's must-show scenario on a real redis-server with two instances: what the
/// operator does on one instance holds on the other, revocations within the local cache TTL.
/// </summary>
public sealed class AdminRedisTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Recipient = "+15557770001";

    /// <summary>The staleness bound these tests run with, and a wait a bit longer than it.</summary>
    private static readonly Dictionary<string, string> ShortCache = new() { ["AgentMessage:Redis:LocalCacheTtl"] = "00:00:00.5" };

    private static readonly TimeSpan BeyondTtl = TimeSpan.FromMilliseconds(800);

    [Fact]
    public async Task OperatorOnA_BootstrapsACustomer_ReadOnlyKeyIs403OnB_RevokedKeyIs401OnBWithinTheBound()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, Operator.Settings(ShortCache));
        var (a, b) = (instances.A, instances.B);

        var org = await a.CreateOrganizationAsync("Redis Customer");
        var (readKey, readKeyId) = await a.CreateKeyAsync(org, Scopes.MessagesRead);
        await a.AddNumberAsync(org, "+15557771111");
        await a.Services.GetRequiredService<IConsentRegistry>().RecordAsync(org, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);

        // Instance B sees all of it at once (it has nothing cached yet).
        var (rest, restBody) = await b.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", readKey, Operator.SendBody("+15557771111", Recipient)));
        Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        AssertJsonEqual(ExpectedError(rest, "FORBIDDEN", "missing required scope", new { scope = "messages:send" }), restBody);
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await b.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15557771111", To = Recipient, Text = "hi" }, TestServer.Bearer(readKey), cancellationToken: Ct));
        AssertError(grpc, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope");

        var (sendKey, _) = await a.CreateKeyAsync(org, Scopes.MessagesSend);
        var (sent, _) = await b.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", sendKey, Operator.SendBody("+15557771111", Recipient)));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        // B now holds the read key in its cache; the revocation on A reaches B within the TTL.
        Assert.Equal(HttpStatusCode.OK, (await b.Rest.CallAsync(Get("/v1/messages", readKey))).Response.StatusCode);
        var (revoked, _) = await a.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys/{readKeyId}:revoke");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await a.Rest.CallAsync(Get("/v1/messages", readKey))).Response.StatusCode);

        instances.Clock.Advance(BeyondTtl);
        var (late, lateBody) = await b.Rest.CallAsync(Get("/v1/messages", readKey));
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
        AssertJsonEqual(ExpectedError(late, "UNAUTHORIZED", "authentication failed"), lateBody);
        var lateGrpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await b.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(readKey), cancellationToken: Ct));
        AssertError(lateGrpc, StatusCode.Unauthenticated, "UNAUTHORIZED", "authentication failed");

        // What the operator wrote on A, the operator reads on B.
        var keys = await b.Admin().ListApiKeysAsync(new ListApiKeysRequest { OrganizationId = org }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal(2, keys.ApiKeys.Count);
        Assert.NotNull(keys.ApiKeys.Single(k => k.Id == readKeyId).RevokedAt);
        var organizations = await b.Admin().ListOrganizationsAsync(new ListOrganizationsRequest(), Operator.Bearer, cancellationToken: Ct);
        Assert.Contains(org, organizations.Organizations.Select(o => o.Id));
        Assert.Contains("org_development", organizations.Organizations.Select(o => o.Id));
    }

    [Fact]
    public async Task OrganizationA_CanNeitherSeeNorAffectOrganizationB()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, Operator.Settings(ShortCache));
        var (a, b) = (instances.A, instances.B);
        var consents = a.Services.GetRequiredService<IConsentRegistry>();

        var orgA = await a.CreateOrganizationAsync("Tenant A");
        var orgB = await a.CreateOrganizationAsync("Tenant B");
        var (keyA, _) = await a.CreateKeyAsync(orgA, Scopes.MessagesSend, Scopes.MessagesRead);
        var (keyB, _) = await a.CreateKeyAsync(orgB, Scopes.MessagesSend, Scopes.MessagesRead);
        await a.AddNumberAsync(orgA, "+15557772222");
        await a.AddNumberAsync(orgB, "+15557773333");
        await consents.RecordAsync(orgA, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);
        await consents.RecordAsync(orgB, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);

        var (sent, sentBody) = await a.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", keyA, Operator.SendBody("+15557772222", Recipient, "for A only")));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var id = (string)sentBody["data"]!["id"]!;

        // B's key, on the other instance: A's message does not exist, B's listing is empty.
        var (get, getBody) = await b.Rest.CallAsync(Get($"/v1/messages/{id}", keyB));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("NOT_FOUND", (string)getBody["error"]!["code"]!);
        var (list, listBody) = await b.Rest.CallAsync(Get("/v1/messages", keyB));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty(listBody["data"]!["messages"]!.AsArray());
        var grpcGet = await Assert.ThrowsAsync<RpcException>(async () =>
            await b.Messaging.GetMessageAsync(new GetMessageRequest { Id = id }, TestServer.Bearer(keyB), cancellationToken: Ct));
        AssertError(grpcGet, StatusCode.NotFound, "NOT_FOUND", null);
        Assert.Empty((await b.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(keyB), cancellationToken: Ct)).Messages);

        // Nor can B send from A's number; A's message is untouched and still A's alone.
        var (steal, stealBody) = await b.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", keyB, Operator.SendBody("+15557772222", Recipient)));
        Assert.Equal((HttpStatusCode)422, steal.StatusCode);
        Assert.NotNull(stealBody["error"]!["details"]!["from"]);
        var (mine, mineBody) = await b.Rest.CallAsync(Get($"/v1/messages/{id}", keyA));
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal("for A only", (string)mineBody["data"]!["text"]!);
        Assert.Single((await a.Rest.CallAsync(Get("/v1/messages", keyA))).Body["data"]!["messages"]!.AsArray());
    }

    [Fact]
    public async Task NumberRemovedAndPaceChangedOnA_ReachBWithinTheBound()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, Operator.Settings(ShortCache));
        var (a, b) = (instances.A, instances.B);
        var org = await a.CreateOrganizationAsync("Numbers");
        var (key, _) = await a.CreateKeyAsync(org, Scopes.MessagesSend);
        await a.AddNumberAsync(org, "+15557774444");
        await a.Services.GetRequiredService<IConsentRegistry>().RecordAsync(org, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);
        Assert.Equal(HttpStatusCode.Accepted, (await b.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, Operator.SendBody("+15557774444", Recipient)))).Response.StatusCode);

        await a.Admin().AddNumberAsync(new AddNumberRequest { OrganizationId = org, Number = "+15557774444", SendPacePerSecond = 0.5 }, Operator.Bearer, cancellationToken: Ct);
        var numbers = await b.Admin().ListNumbersAsync(new ListNumbersRequest { OrganizationId = org }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal(0.5, Assert.Single(numbers.Numbers).SendPacePerSecond);
        instances.Clock.Advance(BeyondTtl);
        var interval = await b.Services.GetRequiredService<AgentMessage.Core.Delivery.PaceTable>().IntervalAsync(org, "+15557774444", Ct);
        Assert.Equal(TimeSpan.FromSeconds(2), interval);

        await a.Admin().RemoveNumberAsync(new RemoveNumberRequest { OrganizationId = org, Number = "+15557774444" }, Operator.Bearer, cancellationToken: Ct);
        instances.Clock.Advance(BeyondTtl);
        var (refused, _) = await b.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, Operator.SendBody("+15557774444", Recipient)));
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Empty((await b.Admin().ListNumbersAsync(new ListNumbersRequest { OrganizationId = org }, Operator.Bearer, cancellationToken: Ct)).Numbers);
    }

    [Fact]
    public async Task NumberHasOneOwnerAcrossInstances_AndAnInterruptedClaimCanBeRemoved()
    {
        const string number = "+15557775555";
        await using var instances = await RedisInstances.StartAsync(redis.Server, Operator.Settings(ShortCache));
        var (a, b) = (instances.A, instances.B);
        var owner = await a.CreateOrganizationAsync("Owner");
        var other = await a.CreateOrganizationAsync("Other");
        await a.AddNumberAsync(owner, number);

        var (refused, refusedBody) = await b.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{other}/numbers", $$"""{"number": "{{number}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("NUMBER_IN_USE", (string)refusedBody["error"]!["code"]!);
        Assert.Empty((await b.Admin().ListNumbersAsync(new ListNumbersRequest { OrganizationId = other }, Operator.Bearer, cancellationToken: Ct)).Numbers);

        // An add that claimed the number but stopped before the organization's own keys were
        // written: the number is not usable, but its organization can see it through to removal.
        const string interrupted = "+15557776666";
        await redis.Server.CommandAsync("SET", $"am:number:{{{interrupted}}}", owner);
        var (blocked, _) = await b.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{other}/numbers", $$"""{"number": "{{interrupted}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, blocked.StatusCode);
        var (removed, _) = await a.AdminAsync(HttpMethod.Delete, $"/v1/admin/organizations/{owner}/numbers/{Uri.EscapeDataString(interrupted)}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        await b.AddNumberAsync(other, interrupted);
    }

    [Fact]
    public async Task ConcurrentRotationsOfOneKey_OnBothInstances_LeaveExactlyOneLiveSuccessor()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, Operator.Settings(ShortCache));
        var org = await instances.A.CreateOrganizationAsync("Rotations");
        var (_, keyId) = await instances.A.CreateKeyAsync(org, Scopes.MessagesRead);

        var rotations = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? instances.A : instances.B).AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys/{keyId}:rotate")));

        var winners = rotations.Where(r => r.Response.StatusCode == HttpStatusCode.Created).ToList();
        var winner = Assert.Single(winners);
        Assert.All(rotations.Except(winners), r => Assert.Equal((HttpStatusCode)422, r.Response.StatusCode));
        var newKey = (string)winner.Body["data"]!["key"]!;
        Assert.Equal(HttpStatusCode.OK, (await instances.B.Rest.CallAsync(Get("/v1/messages", newKey))).Response.StatusCode);

        var (_, listed) = await instances.B.AdminAsync(HttpMethod.Get, $"/v1/admin/organizations/{org}/api-keys");
        var live = listed["data"]!["api_keys"]!.AsArray().Where(k => k!["revoked_at"] is null).Select(k => (string)k!["id"]!);
        Assert.Equal([(string)winner.Body["data"]!["api_key"]!["id"]!], live);
    }
}
