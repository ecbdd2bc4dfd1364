using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

public sealed class RequestLogTests
{
    [Fact]
    public async Task EveryCall_LogsOneLineWithItsRequestId()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:AgentMessage"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(sink));

        var (response, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", null, SpecExampleBody));
        await server.Rest.CallAsync(Get("/healthz", null));

        var id = response.Header("X-Request-Id");
        var line = Assert.Single(sink.Lines, l => l.Contains(id, StringComparison.Ordinal));
        Assert.Contains("POST /v1/messages answered 401", line, StringComparison.Ordinal);
        Assert.EndsWith($"[RequestId={id}]", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedCalls_LogTheirStatusAndErrorCodeOnBothFaces()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["Logging:LogLevel:AgentMessage"] = "Information",
                ["AgentMessage:RateLimits:Send:Burst"] = "1",
                ["AgentMessage:RateLimits:Send:PerSecond"] = "0.01",
            },
            services => services.AddSingleton<ILoggerProvider>(sink));
        var consentless = """{"from":"+15551112222","to":"+15559990000","text":"hi"}""";

        var (consent, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, consentless));
        var (limited, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, SpecExampleBody));
        var call = server.Messaging.SendMessageAsync(Grpc.Requests.Valid(), TestServer.Bearer(TestServer.DevKey), cancellationToken: TestContext.Current.CancellationToken);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await call);

        Assert.Contains("POST /v1/messages answered 453 error=CONSENT_REQUIRED in ", LineOf(sink, consent.Header("X-Request-Id")), StringComparison.Ordinal);
        Assert.Contains("POST /v1/messages answered 429 error=RATE_LIMITED in ", LineOf(sink, limited.Header("X-Request-Id")), StringComparison.Ordinal);
        Assert.Contains(
            "POST /agentmessage.v1.MessagingService/SendMessage answered 200 grpc-status=8 error=RATE_LIMITED in ",
            LineOf(sink, refused.Trailers.GetValue("x-request-id")!),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task PhoneNumbersInPaths_NeverReachTheLogLine()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["Logging:LogLevel:AgentMessage"] = "Information" },
            services => services.AddSingleton<ILoggerProvider>(sink));

        var (consent, _) = await server.Rest.CallAsync(Get("/v1/consents/+15554443333", TestServer.DevKey));
        var (lookup, _) = await server.Rest.CallAsync(Get("/v1/lookups/%2B15550100000", TestServer.DevKey));
        var (unknown, _) = await server.Rest.CallAsync(Get("/v1/nowhere/+15554443333/x", TestServer.DevKey));

        await sink.WaitForLineAsync($"request_id={unknown.Header("X-Request-Id")}");

        Assert.Contains("GET /v1/consents/{number} answered 200", LineOf(sink, consent.Header("X-Request-Id")), StringComparison.Ordinal);
        Assert.Contains("GET /v1/lookups/{number} answered 200", LineOf(sink, lookup.Header("X-Request-Id")), StringComparison.Ordinal);
        Assert.Contains("GET /v1/nowhere/+#/x answered 404", LineOf(sink, unknown.Header("X-Request-Id")), StringComparison.Ordinal);
        var leaks = string.Join('\n', sink.Lines.Where(l => l.Contains("5554443333", StringComparison.Ordinal) || l.Contains("5550100000", StringComparison.Ordinal)));
        Assert.Equal(string.Empty, leaks);
    }

    private static string LineOf(CapturingLoggerProvider sink, string requestId) =>
        Assert.Single(sink.Lines, l => l.Contains($"request_id={requestId}", StringComparison.Ordinal));
}
