using System.Net;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>Idempotency-Key on the embedded default (docs/API.md section 6); the Redis tests repeat these across instances.</summary>
public sealed class IdempotencyRestTests
{
    [Fact]
    public async Task SendMessage_RepeatedWithSameKey_ReplaysTheOriginalWithoutSpendingAToken()
    {
        await using var server = await TestServer.StartAsync(OneTokenBucket);

        var (first, firstBody) = await server.Rest.CallAsync(Keyed(SpecExampleBody, "order-7421-attempt"));
        var (again, againBody) = await server.Rest.CallAsync(Keyed(SpecExampleBody, "order-7421-attempt"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("true", again.Header("Idempotent-Replayed"));
        Assert.Equal(first.Header("Location"), again.Header("Location"));
        AssertJsonEqual(firstBody, againBody);
    }

    [Fact]
    public async Task SendMessage_AbsentPriorityAndDefaultPriority_AreTheSameRequest()
    {
        await using var server = await TestServer.StartAsync();

        var (_, first) = await server.Rest.CallAsync(Keyed("""{"from":"+15551112222","to":"+15554443333","text":"hi"}""", "k1"));
        var (again, second) = await server.Rest.CallAsync(Keyed("""{"from":"+15551112222","to":"+15554443333","text":"hi","priority":"default"}""", "k1"));

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal((string)first["data"]!["id"]!, (string)second["data"]!["id"]!);
    }

    [Fact]
    public async Task SendMessage_SameKeyDifferentBody_Returns422KeyReused()
    {
        await using var server = await TestServer.StartAsync();
        await server.Rest.CallAsync(Keyed(SpecExampleBody, "k1"));

        var (response, body) = await server.Rest.CallAsync(Keyed("""{"from":"+15551112222","to":"+15554443333","text":"another text"}""", "k1"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "IDEMPOTENCY_KEY_REUSED", "idempotency key reused with a different request"), body);
    }

    [Fact]
    public async Task SendMessage_SameKeyInAnotherOrganization_IsAnotherKey()
    {
        await using var server = await TestServer.StartAsync();
        // A number has one owner, so the other organization sends the same text from its own number.
        var other = await server.AddOrganizationAsync("org_other", Core.Access.Scopes.All, "+15551119999", "+15554443333");

        var (_, mine) = await server.Rest.CallAsync(Keyed(SpecExampleBody, "shared"));
        var request = Keyed(SpecExampleBody.Replace("+15551112222", "+15551119999", StringComparison.Ordinal), "shared");
        request.Headers.Authorization = new("Bearer", other);
        var (theirs, theirBody) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, theirs.StatusCode);
        Assert.False(theirs.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual((string)mine["data"]!["id"]!, (string)theirBody["data"]!["id"]!);
    }

    [Fact]
    public async Task SendMessage_FailedRequest_IsNotStoredSoARetryRunsAgain()
    {
        await using var server = await TestServer.StartAsync();
        const string body = """{"from":"+15551112222","to":"+15559990000","text":"hi"}""";

        var (first, _) = await server.Rest.CallAsync(Keyed(body, "k-consent"));
        var (retry, retryBody) = await server.Rest.CallAsync(Keyed(body, "k-consent"));

        Assert.Equal(453, (int)first.StatusCode);
        Assert.Equal(453, (int)retry.StatusCode);
        Assert.Equal("CONSENT_REQUIRED", (string)retryBody["error"]!["code"]!);
    }

    [Fact]
    public async Task SendMessage_ConcurrentIdenticalRequests_CreateExactlyOneMessage()
    {
        await using var server = await TestServer.StartAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => server.Rest.CallAsync(Keyed(SpecExampleBody, "burst-key"))));

        Assert.All(responses, r => Assert.Contains(r.Response.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        var ids = responses.Where(r => r.Response.StatusCode == HttpStatusCode.Accepted).Select(r => (string)r.Body["data"]!["id"]!).Distinct().ToList();
        Assert.Single(ids);
        var (_, list) = await server.Rest.CallAsync(Get("/v1/messages", TestServer.DevKey));
        Assert.Single(list["data"]!["messages"]!.AsArray());
        Assert.All(responses.Where(r => r.Response.StatusCode == HttpStatusCode.Conflict), r =>
        {
            Assert.Equal("IDEMPOTENCY_IN_PROGRESS", (string)r.Body["error"]!["code"]!);
            Assert.Equal("1", r.Response.Header("Retry-After"));
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tinside")]
    public async Task SendMessage_MalformedKey_Returns422NamingTheHeader(string key)
    {
        await using var server = await TestServer.StartAsync();
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("must be 1..255 printable ASCII characters", (string)body["error"]!["details"]!["Idempotency-Key"]!);
    }

    [Fact]
    public async Task SendMessage_KeyOf256Characters_Returns422()
    {
        await using var server = await TestServer.StartAsync();

        var (response, _) = await server.Rest.CallAsync(Keyed(SpecExampleBody, new string('k', 256)));
        var (accepted, _) = await server.Rest.CallAsync(Keyed(SpecExampleBody, new string('k', 255)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    private static readonly Dictionary<string, string> OneTokenBucket = new()
    {
        ["AgentMessage:RateLimits:Send:Burst"] = "1",
        ["AgentMessage:RateLimits:Send:PerSecond"] = "0.001",
    };

    private static HttpRequestMessage Keyed(string body, string key)
    {
        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, body);
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }
}
