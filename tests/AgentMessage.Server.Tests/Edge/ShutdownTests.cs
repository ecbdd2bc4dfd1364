using System.Net;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>
/// Stopping the server (SIGTERM, the host stopping): readiness fails at once, open status streams
/// end with a last word saying the server is going away, and the stop does not wait for them.
/// </summary>
public sealed class ShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_EndsOpenStreamsWithGoingAwayOnBothFaces_AndCompletes()
    {
        var sink = new CapturingLoggerProvider();
        var server = await TestServer.StartAsync(null, services => services.AddSingleton<ILoggerProvider>(sink));
        await using var disposing = server;
        using var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream", TestServer.DevKey);
        using var grpc = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await grpc.ResponseHeadersAsync;

        var stop = server.StopAsync(CancellationToken.None);
        var restLines = await rest.ReadToEndAsync();
        var (events, error) = await GrpcStreams.ReadToEndAsync(grpc);
        await stop;

        AssertJsonEqual(ExpectedError(rest.Response, "UNAVAILABLE", "the server is shutting down; reconnect and resume with after"), Assert.Single(restLines));
        Assert.Empty(events);
        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var status = error.GetRpcStatus()!;
        Assert.Equal("UNAVAILABLE", status.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
        Assert.Equal(1, status.GetDetail<Google.Rpc.RetryInfo>()!.RetryDelay.Seconds);
        Assert.Equal(string.Empty, string.Join('\n', sink.Errors));
    }

    [Fact]
    public async Task Stop_FailsReadinessAtOnce_WhileTheServerStillAnswersDuringTheDrainDelay()
    {
        var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            // Longer than any test: the test itself ends the delay, as the host's shutdown timeout would.
            ["AgentMessage:Shutdown:DrainDelay"] = "01:00:00",
        });
        await using var disposing = server;
        var health = new Health.HealthClient(server.Channel);
        var (readyBefore, _) = await server.Rest.CallAsync(Get("/readyz", null));
        using var rest = await RestStream.OpenAsync(server, "/v1/messages/status/stream", TestServer.DevKey);
        using var timeout = new CancellationTokenSource();

        var stop = server.StopAsync(timeout.Token);
        var last = Assert.Single(await rest.ReadToEndAsync());
        var (notReady, body) = await server.Rest.CallAsync(Get("/readyz", null));
        var notServing = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        var (refused, refusal) = await server.Rest.CallAsync(Get("/v1/messages/status/stream", TestServer.DevKey));
        await timeout.CancelAsync();
        await stop;

        Assert.Equal(HttpStatusCode.OK, readyBefore.StatusCode);
        Assert.Equal("UNAVAILABLE", (string)last["error"]!["code"]!);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("the server is shutting down", (string)body["error"]!["details"]!["shutdown"]!);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, notServing.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("the server is shutting down; reconnect and resume with after", (string)refusal["error"]!["message"]!);
        Assert.Equal("1", refused.Header("Retry-After"));
    }
}
