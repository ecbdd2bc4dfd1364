using System.Net;
using AgentMessage.Core.Messaging;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Rest;

/// <summary>Failures that need a server of their own: small buckets, MMS off, a store that breaks.</summary>
public sealed class RestFailureTests
{
    [Fact]
    public async Task SendMessage_BeyondTheBucket_Returns429WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = "2",
            ["AgentMessage:RateLimits:Send:PerSecond"] = "0.1",
        });

        for (var i = 0; i < 2; i++)
        {
            var (accepted, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "RATE_LIMITED", "rate limited"), body);

        // Two tokens spent at 0.1 per second: the next one is about ten seconds away.
        Assert.InRange(int.Parse(response.Header("Retry-After")), 9, 10);
        Assert.Equal("2", response.Header("RateLimit-Limit"));
        Assert.Equal("0", response.Header("RateLimit-Remaining"));
    }

    [Fact]
    public async Task SendMessage_RateLimitedRequests_SpendNoTokenAndDoNotLeakAcrossOrganizations()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:RateLimits:Send:Burst"] = "1",
            ["AgentMessage:RateLimits:Send:PerSecond"] = "0.001",
        });
        var other = await server.AddOrganizationAsync("org_other", Core.Access.Scopes.All, "+15553330000", "+15554443333");

        var (first, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var (second, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var (otherOrg, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", other,
            """{"from":"+15553330000","to":"+15554443333","text":"hi"}"""));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, otherOrg.StatusCode);
    }

    [Fact]
    public async Task SendMessage_WithMediaWhileMmsIsOff_Returns503MmsDisabled()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["AgentMessage:Media:MmsEnabled"] = "false" });

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            """{"from":"+15551112222","to":"+15554443333","text":"hi","media":["https://cdn.example.com/a.png"]}"""));
        var (smsStillWorks, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "MMS_DISABLED", "mms subsystem disabled"), body);
        Assert.Equal(HttpStatusCode.Accepted, smsStillWorks.StatusCode);
    }

    [Fact]
    public async Task SendMessage_WhenTheStoreThrows_Returns500WithoutLeakingTheException()
    {
        await using var server = await TestServer.StartAsync(overrideServices: services => services.AddSingleton<ISendAdmission, BrokenSendAdmission>());

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "INTERNAL", "internal error"), body);
        Assert.DoesNotContain("secret", body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    private sealed class BrokenSendAdmission : ISendAdmission
    {
        public ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("secret connection string");
    }
}
