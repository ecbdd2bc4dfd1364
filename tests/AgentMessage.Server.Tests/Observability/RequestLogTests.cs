using AgentMessage.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Infrastructure.RestRequests;

namespace AgentMessage.Server.Tests.Observability;

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
}
