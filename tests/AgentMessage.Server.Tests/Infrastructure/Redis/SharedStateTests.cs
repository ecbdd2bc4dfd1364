using System.Diagnostics;
using System.Net;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;
using Organization = AgentMessage.Core.Organizations.Organization;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Shared state's guarantees (rate limits, idempotency, one truth for every instance), shown on a real redis-server with two instances sharing it.</summary>
public sealed class SharedStateTests(RedisFixture redis, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RateLimit_ConcurrentSendsFromTwoInstances_AdmitNoMoreThanBurstPlusRateTimesElapsed()
    {
        const int burst = 5;
        const double perSecond = 4;
        await using var instances = await RedisInstances.StartAsync(redis.Server, new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AgentMessage:RateLimits:Send:PerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var clock = Stopwatch.StartNew();
        var sends = Enumerable.Range(0, 120).Select(async i =>
        {
            var server = i % 2 == 0 ? instances.A : instances.B;
            var (response, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
            return response;
        });
        var responses = await Task.WhenAll(sends);
        var elapsed = clock.Elapsed;

        var admitted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        output.WriteLine($"admitted {admitted} of 120 in {elapsed.TotalMilliseconds:0} ms; bound {burst + (perSecond * elapsed.TotalSeconds):0.0}");
        Assert.Equal(120, admitted + limited.Count);
        Assert.InRange(admitted, burst, burst + (perSecond * elapsed.TotalSeconds));
        Assert.All(limited, r => Assert.InRange(int.Parse(r.Header("Retry-After")), 1, 1));
    }

    [Fact]
    public async Task RateLimit_RetryAfter_IsComputedFromTheSharedBucket()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = "2",
            ["AgentMessage:RateLimits:Send:PerSecond"] = "0.1",
        });

        await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var (rest, body) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await instances.B.Messaging.SendMessageAsync(ValidRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
        Assert.Equal("RATE_LIMITED", (string)body["error"]!["code"]!);
        Assert.InRange(int.Parse(rest.Header("Retry-After")), 9, 10);
        Assert.Equal("0", rest.Header("RateLimit-Remaining"));
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.InRange(grpc.GetRpcStatus()!.GetDetail<RetryInfo>()!.RetryDelay.Seconds, 9, 10);
    }

    [Fact]
    public async Task RateLimit_OrganizationOverride_ReplacesTheDefaultBucket()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server);
        var organizations = instances.A.Services.GetRequiredService<IOrganizationStore>();
        await organizations.PutAsync(new Organization(DevSeed.OrganizationId, "Development", SendLimit: new RateLimitPolicy(1, 0.001)), Ct);
        instances.Clock.Advance(SettleCaches);

        var (first, _) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var (second, _) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("1", second.Header("RateLimit-Limit"));
    }

    [Fact]
    public async Task Idempotency_FiftyConcurrentIdenticalRequestsOnTwoInstances_CreateExactlyOneMessage()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            (i % 2 == 0 ? instances.A : instances.B).Rest.CallAsync(Keyed(SpecExampleBody, "fifty"))));

        Assert.All(responses, r => Assert.Contains(r.Response.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var ids = responses.Where(r => r.Response.StatusCode == HttpStatusCode.Accepted).Select(r => (string)r.Body["data"]!["id"]!).Distinct().ToList();
        Assert.Single(ids);
        foreach (var server in new[] { instances.A, instances.B })
        {
            var (_, list) = await server.Rest.CallAsync(Get("/v1/messages", TestServer.DevKey));
            Assert.Equal(ids, list["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        }
    }

    [Fact]
    public async Task Idempotency_SameKeyAnotherBodyOnTheOtherInstance_Returns422()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server);
        await instances.A.Rest.CallAsync(Keyed(SpecExampleBody, "k"));

        var (response, body) = await instances.B.Rest.CallAsync(Keyed("""{"from":"+15551112222","to":"+15554443333","text":"changed"}""", "k"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", (string)body["error"]!["code"]!);
    }

    [Fact]
    public async Task Idempotency_ReplayAfterTheAnsweringInstanceStopped_ReturnsTheOriginal()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server);
        var (original, originalBody) = await instances.A.Rest.CallAsync(Keyed(SpecExampleBody, "survives"));
        await instances.StopAAsync();

        var (replay, replayBody) = await instances.B.Rest.CallAsync(Keyed(SpecExampleBody, "survives"));

        Assert.Equal(HttpStatusCode.Accepted, original.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
        AssertJsonEqual(originalBody, replayBody);
    }

    [Fact]
    public async Task RedisOutage_Answers503ThenRecoversWithoutRestartAndLosesNothingAccepted()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server);
        var (accepted, acceptedBody) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        await redis.Server.StopAsync();
        try
        {
            instances.Clock.Advance(SettleCaches);
            var (down, downBody) = await instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
            var (notReady, _) = await instances.B.Rest.CallAsync(Get("/readyz", null));
            var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
                await instances.B.Messaging.SendMessageAsync(ValidRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            AssertJsonEqual(ExpectedError(down, "UNAVAILABLE", "service temporarily unavailable"), downBody);
            Assert.Equal("2", down.Header("Retry-After"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
            Assert.Equal("UNAVAILABLE", grpc.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
            Assert.NotNull(grpc.GetRpcStatus()!.GetDetail<RetryInfo>());
        }
        finally
        {
            await redis.Server.RestartAsync(Ct);
        }

        // Each instance reconnects by itself; poll (bounded) until both serve again.
        var status = await PollAsync(() => instances.A.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody)), HttpStatusCode.Accepted);
        var ready = await PollAsync(() => instances.B.Rest.CallAsync(Get("/readyz", null)), HttpStatusCode.OK);
        var (kept, keptBody) = await instances.B.Rest.CallAsync(Get($"/v1/messages/{(string)acceptedBody["data"]!["id"]!}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        AssertJsonEqual(acceptedBody, keptBody);
    }

    [Fact]
    public async Task RevokedKey_StopsSendsOnTheOtherInstanceWithinTheStalenessBound()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache);
        var key = await instances.A.AddKeyAsync();
        var (before, _) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, SpecExampleBody));

        var keys = instances.A.Services.GetRequiredService<IApiKeyStore>();
        var record = (await keys.FindByHashAsync(ApiKeyFormat.Hash(key), Ct))!;
        await keys.PutAsync(record with { RevokedAt = DateTimeOffset.UtcNow }, Ct);
        instances.Clock.Advance(SettleCaches);
        var (after, body) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        AssertJsonEqual(ExpectedError(after, "UNAUTHORIZED", "authentication failed"), body);
    }

    [Fact]
    public async Task WithdrawnConsent_StopsSendsOnTheOtherInstanceWithinTheStalenessBound()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, ShortCache);
        var (before, _) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        await instances.A.Services.GetRequiredService<IConsentRegistry>().RecordAsync(
            DevSeed.OrganizationId,
            new ConsentRecord(DevSeed.ConsentingRecipient, "test", DateTimeOffset.UtcNow.AddDays(-1), OptedOutAt: DateTimeOffset.UtcNow),
            Ct);
        instances.Clock.Advance(SettleCaches);
        var (after, _) = await instances.B.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        Assert.Equal(453, (int)after.StatusCode);
    }

    [Fact]
    public async Task AcceptedSend_CostsOneRedisRoundTripAndTwoWithAnIdempotencyKey()
    {
        await using var instances = await RedisInstances.StartAsync(redis.Server, new Dictionary<string, string>
        {
            ["AgentMessage:Redis:LocalCacheTtl"] = "00:05:00",
        });
        const int sends = 50;

        // Warm up: the caches, and both scripts loaded into Redis (the first use of a script costs a SCRIPT LOAD).
        var warm = TestServer.Bearer(TestServer.DevKey);
        warm.Add("idempotency-key", "warm-up");
        await instances.A.Messaging.SendMessageAsync(ValidRequest(), warm, cancellationToken: Ct);

        await redis.Server.ResetStatsAsync();
        for (var i = 0; i < sends; i++)
        {
            await instances.A.Messaging.SendMessageAsync(ValidRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        }

        var plain = await redis.Server.CommandStatsAsync();
        await redis.Server.ResetStatsAsync();
        for (var i = 0; i < sends; i++)
        {
            var metadata = TestServer.Bearer(TestServer.DevKey);
            metadata.Add("idempotency-key", $"count-{i}");
            await instances.A.Messaging.SendMessageAsync(ValidRequest(), metadata, cancellationToken: Ct);
        }

        var keyed = await redis.Server.CommandStatsAsync();
        output.WriteLine("without key: " + string.Join(", ", plain.Where(c => c.Key != "config|resetstat").Select(c => $"{c.Key}={c.Value}")));
        output.WriteLine("with key:    " + string.Join(", ", keyed.Where(c => c.Key != "config|resetstat").Select(c => $"{c.Key}={c.Value}")));

        // Round trips are the commands the service sends itself: scripts, and no plain reads.
        // HGET also runs inside the admission script (the claim's owner check), never without a key.
        Assert.Equal(sends, RoundTrips(plain));
        Assert.Equal(0, plain.GetValueOrDefault("hget"));
        Assert.Equal(2 * sends, RoundTrips(keyed));
        Assert.Equal(sends, keyed.GetValueOrDefault("hget"));
    }

    /// <summary>Repeats a call every 100 ms, for at most 15 s, until it answers <paramref name="wanted"/>.</summary>
    private static async Task<HttpStatusCode> PollAsync(Func<Task<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonNode Body)>> call, HttpStatusCode wanted)
    {
        var status = (await call()).Response.StatusCode;
        for (var attempt = 0; attempt < 150 && status != wanted; attempt++)
        {
            await Task.Delay(100, Ct);
            status = (await call()).Response.StatusCode;
        }

        return status;
    }

    private static readonly TimeSpan SettleCaches = TimeSpan.FromMilliseconds(700);

    private static readonly Dictionary<string, string> ShortCache = new() { ["AgentMessage:Redis:LocalCacheTtl"] = "00:00:00.5" };

    /// <summary>Top-level commands: scripts plus the reads the local caches should have absorbed.</summary>
    private static long RoundTrips(IReadOnlyDictionary<string, long> stats) =>
        new[] { "evalsha", "eval", "script|load", "get", "mget", "sismember", "hgetall", "exists" }.Sum(c => stats.GetValueOrDefault(c));

    private static SendMessageRequest ValidRequest() => new() { From = "+15551112222", To = "+15554443333", Text = "hello" };

    private static HttpRequestMessage Keyed(string body, string key)
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, body);
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }
}
