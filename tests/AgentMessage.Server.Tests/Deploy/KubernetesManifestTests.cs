using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// deploy/kubernetes checked without a cluster: every manifest against the Kubernetes API schemas
/// (kubernetes-models' validate()), and the wiring between them, the image and the server's shutdown.
/// </summary>
public sealed class KubernetesManifestTests
{
    /// <summary>The host's shutdown timeout (HostOptions.ShutdownTimeout's default, docs/API.md section 10).</summary>
    private const int HostShutdownTimeoutSeconds = 30;

    [Fact]
    public async Task EveryManifest_IsValidAgainstTheKubernetesApiSchemas()
    {
        var manifests = await ReadAllAsync();

        Assert.All(manifests, m => Assert.Empty(m.Errors));
        Assert.Equal(
            ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Service"],
            manifests.Select(m => (string)m.Document["kind"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SchemaValidation_RefusesADeploymentWithAMistypedFieldOrNoSelector()
    {
        var directory = Directory.CreateTempSubdirectory("agentmessage-kubernetes-").FullName;
        var deployment = await File.ReadAllTextAsync(Path.Combine(DeployFiles.KubernetesDirectory, "deployment.yaml"), TestContext.Current.CancellationToken);
        var mistyped = Path.Combine(directory, "mistyped.yaml");
        var selectorless = Path.Combine(directory, "selectorless.yaml");
        await File.WriteAllTextAsync(mistyped, deployment.Replace("replicas: 2", "replicas: two", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(selectorless, deployment.Replace("  selector:\n    matchLabels:\n      app.kubernetes.io/name: agentmessage\n", string.Empty, StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var results = await DeployFiles.ValidateAsync(("kubernetes", mistyped), ("kubernetes", selectorless));
        Directory.Delete(directory, recursive: true);

        Assert.Contains(results[0].Errors, e => e.Contains("data/spec/replicas must be integer", StringComparison.Ordinal));
        Assert.Contains(results[1].Errors, e => e.Contains("data/spec must have required property selector", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kustomization_AppliesEveryManifest()
    {
        var kustomization = await DeployFiles.ReadAsync("yaml", Path.Combine(DeployFiles.KubernetesDirectory, "kustomization.yaml"));

        Assert.Equal(
            DeployFiles.KubernetesManifests.Select(Path.GetFileName).Order(StringComparer.Ordinal),
            kustomization.Document["resources"]!.AsArray().Select(r => (string)r!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deployment_ProbesReadyzAndHealthz_OnTheImagesRestPort_AsTheNonRootAppUser()
    {
        var manifests = await ReadAllAsync();
        var pod = Kind(manifests, "Deployment")["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(pod["containers"]!.AsArray())!;
        var ports = container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (int)p!["containerPort"]!);

        Assert.Equal(ServerImage.ExposedPorts(DeployFiles.Dockerfile).Order(), ports.Values.Order());
        Assert.Equal(8080, ports["rest"]);
        Assert.Equal(8081, ports["grpc"]);
        Assert.Equal("/readyz", (string)container["readinessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("rest", (string)container["readinessProbe"]!["httpGet"]!["port"]!);
        Assert.Equal("/healthz", (string)container["livenessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("rest", (string)container["livenessProbe"]!["httpGet"]!["port"]!);
        Assert.True((bool)pod["securityContext"]!["runAsNonRoot"]!);
        Assert.Equal(ServerImage.AppUid, (int)pod["securityContext"]!["runAsUser"]!);
        Assert.False((bool)container["securityContext"]!["allowPrivilegeEscalation"]!);
    }

    [Fact]
    public async Task Deployment_LeavesStreamsTimeToDrain_PreStopThenDrainDelayWithinTheGracePeriod()
    {
        var manifests = await ReadAllAsync();
        var pod = Kind(manifests, "Deployment")["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(pod["containers"]!.AsArray())!;
        var config = DeployFiles.Strings(Kind(manifests, "ConfigMap")["data"]);

        // The image has no shell: the preStop pause is the kubelet's sleep action.
        var preStop = (int)container["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!;
        var drainDelay = TimeSpan.Parse(config["AgentMessage__Shutdown__DrainDelay"], CultureInfo.InvariantCulture);
        var grace = (int)pod["terminationGracePeriodSeconds"]!;

        Assert.InRange(preStop, 1, 30);
        Assert.InRange(drainDelay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(HostShutdownTimeoutSeconds - 5));

        // After SIGTERM the host stops within its shutdown timeout (DrainDelay included): the pod must not be killed before.
        Assert.True(grace > preStop + HostShutdownTimeoutSeconds, $"terminationGracePeriodSeconds {grace} <= preStop {preStop} s + the host's {HostShutdownTimeoutSeconds} s shutdown timeout");
    }

    [Fact]
    public async Task Service_ServesBothPortsOfThePods_TheGrpcPortAsCleartextHttp2()
    {
        var manifests = await ReadAllAsync();
        var deployment = Kind(manifests, "Deployment");
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        var service = Kind(manifests, "Service")["spec"]!;
        var ports = service["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!);

        Assert.All(service["selector"]!.AsObject(), label => Assert.Equal((string)label.Value!, (string?)podLabels[label.Key]));
        Assert.Equal(["grpc", "rest"], ports.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("grpc", (string)ports["grpc"]["targetPort"]!);
        Assert.Equal("kubernetes.io/h2c", (string)ports["grpc"]["appProtocol"]!);
        Assert.Equal("rest", (string)ports["rest"]["targetPort"]!);
        Assert.Equal("http", (string)ports["rest"]["appProtocol"]!);
    }

    [Fact]
    public async Task DisruptionBudgetAndAutoscaler_TargetTheDeployment_AndKeepAPodServing()
    {
        var manifests = await ReadAllAsync();
        var deployment = Kind(manifests, "Deployment");
        var podLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        var budget = Kind(manifests, "PodDisruptionBudget")["spec"]!;
        var autoscaler = Kind(manifests, "HorizontalPodAutoscaler")["spec"]!;
        var container = Assert.Single(deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!;

        Assert.All(budget["selector"]!["matchLabels"]!.AsObject(), label => Assert.Equal((string)label.Value!, (string?)podLabels[label.Key]));
        Assert.Equal("Deployment", (string)autoscaler["scaleTargetRef"]!["kind"]!);
        Assert.Equal((string)deployment["metadata"]!["name"]!, (string)autoscaler["scaleTargetRef"]!["name"]!);
        Assert.True((int)autoscaler["minReplicas"]! > (int)budget["minAvailable"]!, "with minReplicas == minAvailable no pod could ever be evicted");
        Assert.Equal(0, (int)deployment["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]!);

        // A CPU utilization target needs a CPU request to be measured against.
        Assert.NotNull(container["resources"]!["requests"]!["cpu"]);
    }

    [Fact]
    public async Task Deployment_TakesEverySettingFromTheConfigMapAndTheSecret()
    {
        var manifests = await ReadAllAsync();
        var container = Assert.Single(Kind(manifests, "Deployment")["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!;
        var sources = container["envFrom"]!.AsArray();

        Assert.Null(container["env"]);
        Assert.Equal((string)Kind(manifests, "ConfigMap")["metadata"]!["name"]!, (string)Assert.Single(sources, s => s!["configMapRef"] is not null)!["configMapRef"]!["name"]!);
        Assert.Equal((string)Kind(manifests, "Secret")["metadata"]!["name"]!, (string)Assert.Single(sources, s => s!["secretRef"] is not null)!["secretRef"]!["name"]!);
        var secret = DeployFiles.Strings(Kind(manifests, "Secret")["stringData"]);
        Assert.Contains("AgentMessage__Redis__Configuration", secret.Keys);
        Assert.Contains("AgentMessage__Carrier__Smpp__Password", secret.Keys);
        Assert.Contains("AgentMessage__Carrier__ReceiptSecret", secret.Keys);
    }

    public static async Task<IReadOnlyList<ValidatedFile>> ReadAllAsync() =>
        await DeployFiles.ValidateAsync([.. DeployFiles.KubernetesManifests.Select(f => ("kubernetes", f))]);

    public static JsonNode Kind(IReadOnlyList<ValidatedFile> manifests, string kind) =>
        Assert.Single(manifests, m => (string)m.Document["kind"]! == kind).Document;
}
