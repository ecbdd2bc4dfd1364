using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// The published server started natively with exactly the environment of the image
/// (deploy/Dockerfile's ENV over its base image's, listener ports swapped for free ones): what a
/// container would run, short of the container.
/// </summary>
public sealed class PublishedServerTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Less than the host's 30 s shutdown timeout: an open stream must not hold the stop until then.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishedServer_WithTheImageEnvironment_ServesBothPortsOnEveryInterface_AndOnSigtermEndsStreamsAndExitsZero()
    {
        var published = await PublishedServer.GetAsync();
        var dockerfile = DeployFiles.Dockerfile;
        var ports = ServerImage.FreePorts(dockerfile);
        var environment = ServerImage.Environment(dockerfile, ports);
        await using var server = ServerProcess.Start("published-server", published, environment, ports[8080], ports[8081]);

        var startup = await server.WaitForReadyAsync(StartTimeout, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"dotnet publish --no-build: {published.PublishTime.TotalSeconds:0.0} s; process start to /readyz 200: {startup.TotalMilliseconds:0} ms");
        var healthz = await server.Rest.GetAsync("/healthz", Ct);
        var health = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);
        var key = server.PrintedDevelopmentKey();
        var messaging = new MessagingService.MessagingServiceClient(server.Channel);
        using var stream = messaging.StreamStatus(new StreamStatusRequest(), new Metadata { { "authorization", $"Bearer {key}" } }, cancellationToken: Ct);
        await stream.ResponseHeadersAsync;

        var exitCode = await server.TerminateAsync(StopGrace);
        var streamEnd = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.ResponseStream.MoveNext(Ct))
            {
            }
        });

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal("ok", (string)JsonNode.Parse(await healthz.Content.ReadAsStringAsync(Ct))!["data"]!["status"]!);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        var output = server.Output;
        Assert.Contains($"Now listening on: http://[::]:{ports[8080]}", output.Select(l => l.Trim()));
        Assert.Contains($"Now listening on: http://[::]:{ports[8081]}", output.Select(l => l.Trim()));
        Assert.DoesNotContain(output, line => line.Contains("Overriding", StringComparison.Ordinal));
        Assert.Equal(StatusCode.Unavailable, streamEnd.StatusCode);
        Assert.Equal("the server is shutting down; reconnect and resume with after", streamEnd.Status.Detail);
        Assert.Equal(0, exitCode);
        Assert.Contains(output, line => line.Contains("Shutting down: readiness fails from now on; ending 1 open status streams", StringComparison.Ordinal));
    }
}
