using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// deploy/compose.yaml run natively, as compose would run it but without containers: redis-server with
/// the redis service's flags, the S3 test server standing in for MinIO (with the bucket the init
/// service creates), the repository's SMSC with the smsc service's environment, and two published
/// servers with the image's environment plus the instances' environment. Host names become loopback
/// ports; MinIO's credentials become the S3 test server's, which has its own fixed account.
/// </summary>
public sealed class ComposeStackTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MessageSentThroughInstanceOne_IsDeliveredOverSmpp_AndVisibleFromInstanceTwo()
    {
        var services = ComposeFileTests.Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var compose = ComposeFileTests.Environment(services, "agentmessage-1");
        Assert.Equal(compose, ComposeFileTests.Environment(services, "agentmessage-2"));
        var published = await PublishedServer.GetAsync();

        await using var redis = await RedisServer.StartAsync(Ct);
        foreach (var (name, value) in ComposeFileTests.RedisFlags(services))
        {
            await redis.CommandAsync("CONFIG", "SET", name, value);
        }

        await using var s3 = await S3Server.StartAsync(compose["AgentMessage__Media__S3__Bucket"], Ct);
        await using var smsc = await SmscServer.StartAsync(DeployFiles.Strings(services["smsc"]!["environment"]), Ct);
        var environment = Substitute(compose, redis, s3, smsc);

        var dockerfile = DeployFiles.Dockerfile;
        var instances = new List<ServerProcess>();
        try
        {
            foreach (var name in (string[])["agentmessage-1", "agentmessage-2"])
            {
                var ports = ServerImage.FreePorts(dockerfile);
                var image = ServerImage.Environment(dockerfile, ports);
                foreach (var (variable, value) in environment)
                {
                    image[variable] = value;
                }

                instances.Add(ServerProcess.Start(name, published, image, ports[8080], ports[8081]));
            }

            foreach (var instance in instances)
            {
                await instance.WaitForReadyAsync(StartTimeout, Ct);
            }

            await smsc.WaitForBoundSessionsAsync(2, Wait, Ct);
            var (one, two) = (instances[0], instances[1]);
            var key = compose["AgentMessage__Dev__ApiKey"];

            var (sent, message) = await one.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key,
                """{"from": "+15551112222", "to": "+15554443333", "text": "hello from compose"}"""));
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            var id = (string)message["data"]!["id"]!;
            JsonNode? seen = null;
            var delivered = await Eventually.HoldsAsync(async () =>
            {
                (_, seen) = await two.Rest.CallAsync(Get($"/v1/messages/{id}", key));
                return (string?)seen["data"]?["status"] == "delivered";
            }, Wait, Ct);
            var submit = Assert.Single(await smsc.WaitForSubmitsAsync(1, Wait, Ct));

            // Both at once, as `docker compose stop` does; each serves its DrainDelay before it exits.
            var exitCodes = await Task.WhenAll(instances.Select(instance => instance.TerminateAsync(TimeSpan.FromSeconds(20))));

            Assert.True(delivered, $"message {id} is {seen?.ToJsonString()} on instance 2, not delivered");
            Assert.Equal("15554443333", submit.DestinationAddr);
            Assert.Equal("hello from compose", System.Text.Encoding.ASCII.GetString(submit.ShortMessage));
            Assert.Equal([0, 0], exitCodes);
            foreach (var instance in instances)
            {
                // The service checks Redis's eviction policy and persistence at start and logs an error for either.
                Assert.Contains(instance.Output, line => line.Contains("Checked Redis's eviction and persistence settings", StringComparison.Ordinal));
                // Until the stop: then the failing readiness (the shutdown health check) is logged, as it should be.
                var running = instance.Output.TakeWhile(line => !line.Contains("Application is shutting down", StringComparison.Ordinal));
                Assert.DoesNotContain(running, line => line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal));
            }
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    /// <summary>The instances' environment with compose's host names replaced by the loopback servers that stand in for them.</summary>
    private static Dictionary<string, string> Substitute(Dictionary<string, string> compose, RedisServer redis, S3Server s3, SmscServer smsc)
    {
        var environment = new Dictionary<string, string>(compose, StringComparer.Ordinal);
        void Replace(string key, string expected, string actual)
        {
            Assert.Equal(expected, environment[key]);
            environment[key] = actual;
        }

        Replace("AgentMessage__Redis__Configuration", "redis:6379", redis.Configuration);
        Replace("AgentMessage__Media__S3__ServiceUrl", "http://minio:9000", s3.ServiceUrl.ToString());
        environment["AgentMessage__Media__S3__AccessKey"] = s3.AccessKey;
        environment["AgentMessage__Media__S3__SecretKey"] = s3.SecretKey;
        Replace("AgentMessage__Carrier__Smpp__Host", "smsc", smsc.Host);
        Replace("AgentMessage__Carrier__Smpp__Port", "2775", smsc.Port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(smsc.SystemId, environment["AgentMessage__Carrier__Smpp__SystemId"]);
        Assert.Equal(smsc.Password, environment["AgentMessage__Carrier__Smpp__Password"]);
        return environment;
    }
}
