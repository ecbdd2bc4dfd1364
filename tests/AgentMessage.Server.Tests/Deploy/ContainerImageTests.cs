using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// The image, checked statically (no container engine or registry here): deploy/Dockerfile's stages,
/// base images, user, ports, environment and entrypoint, the same settings as SDK container
/// properties in the server's project, and the build context's .dockerignore.
/// </summary>
public sealed class ContainerImageTests
{
    private const string ServerProject = "src/AgentMessage.Server/AgentMessage.Server.csproj";

    private static Dockerfile Dockerfile => DeployFiles.Dockerfile;

    [Fact]
    public void Dockerfile_BuildsWithTheSdk_AndRunsOnTheChiseledAspNetRuntimeOfTheTargetFramework()
    {
        var version = TargetFrameworkVersion();

        Assert.Equal(2, Dockerfile.Stages.Count);
        var (build, runtime) = (Dockerfile.Stages[0], Dockerfile.Stages[1]);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{version}", build.BaseImage, StringComparison.Ordinal);
        Assert.NotNull(build.Name);
        Assert.Contains(build.Arguments("RUN"), run => run.StartsWith("dotnet publish " + ServerProject, StringComparison.Ordinal) && run.Contains("-c Release", StringComparison.Ordinal));
        Assert.StartsWith($"mcr.microsoft.com/dotnet/aspnet:{version}-", runtime.BaseImage, StringComparison.Ordinal);
        Assert.EndsWith("-chiseled", runtime.BaseImage, StringComparison.Ordinal);
        Assert.Equal($"--from={build.Name} /app .", Assert.Single(runtime.Arguments("COPY")));
        Assert.Empty(runtime.Arguments("RUN"));
    }

    [Fact]
    public void Dockerfile_RunsAsTheNonRootAppUser_FromBeforeItsEntrypoint()
    {
        var instructions = Dockerfile.Final.Instructions;
        var user = Assert.Single(instructions, i => i.Keyword == "USER");
        var entrypoint = Assert.Single(instructions, i => i.Keyword == "ENTRYPOINT");

        Assert.Equal("$APP_UID", user.Arguments);
        Assert.Equal(ServerImage.AppUid.ToString(CultureInfo.InvariantCulture), ServerImage.BaseImageEnvironment["APP_UID"]);
        Assert.True(instructions.ToList().IndexOf(user) < instructions.ToList().IndexOf(entrypoint));
    }

    [Fact]
    public void Dockerfile_ListensOnEveryInterfaceOfTheExposedPorts_ThroughEnvironment_WhileAppsettingsStaysOnLocalhost()
    {
        var environment = Dockerfile.Final.Environment();
        var appsettings = JsonNode.Parse(File.ReadAllText(DeployFiles.PathOf("src/AgentMessage.Server/appsettings.json")))!;

        Assert.Equal([8080, 8081], ServerImage.ExposedPorts(Dockerfile).Order());
        Assert.Equal("http://+:8080", environment["Kestrel__Endpoints__Rest__Url"]);
        Assert.Equal("http://+:8081", environment["Kestrel__Endpoints__Grpc__Url"]);
        // The base image's ASPNETCORE_HTTP_PORTS would be a third listener request, overridden with a warning.
        Assert.Equal(string.Empty, environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal("http://localhost:8080", (string)appsettings["Kestrel"]!["Endpoints"]!["Rest"]!["Url"]!);
        Assert.Equal("http://localhost:8081", (string)appsettings["Kestrel"]!["Endpoints"]!["Grpc"]!["Url"]!);
        Assert.Equal("Http2", (string)appsettings["Kestrel"]!["Endpoints"]!["Grpc"]!["Protocols"]!);
    }

    [Fact]
    public void Dockerfile_EntrypointRunsThePublishedServerFromItsWorkdir()
    {
        var runtime = Dockerfile.Final;

        Assert.Equal(["dotnet", "AgentMessage.Server.dll"], Dockerfile.ExecForm(Assert.Single(runtime.Arguments("ENTRYPOINT"))));
        Assert.Equal("/app", Assert.Single(runtime.Arguments("WORKDIR")));
        Assert.Contains(Dockerfile.Stages[0].Arguments("RUN"), run => run.Contains("-o /app", StringComparison.Ordinal) && run.Contains("UseAppHost=false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SdkContainerConfiguration_AsTheSdkComputesItForPublishContainer_IsTheDockerfilesImage()
    {
        // The SDK's own ComputeContainerConfig target (what PublishContainer runs before it pulls the base image).
        var output = await PublishedServer.RunDotnetAsync("msbuild", DeployFiles.PathOf(ServerProject), "-t:ComputeContainerConfig",
            $"-p:Configuration={PublishedServer.Configuration}",
            "-getProperty:ContainerBaseImage", "-getProperty:ContainerUser", "-getProperty:ContainerWorkingDirectory",
            "-getItem:ContainerPort", "-getItem:ContainerEnvironmentVariables");
        var computed = JsonNode.Parse(output)!;
        string Property(string name) => (string)computed["Properties"]![name]!;
        var ports = computed["Items"]!["ContainerPort"]!.AsArray().Select(p => int.Parse((string)p!["Identity"]!, CultureInfo.InvariantCulture));
        var environment = computed["Items"]!["ContainerEnvironmentVariables"]!.AsArray()
            .ToDictionary(e => (string)e!["Identity"]!, e => (string)e!["Value"]!, StringComparer.Ordinal);

        Assert.Equal(Dockerfile.Final.BaseImage, Property("ContainerBaseImage"));
        Assert.Equal(ServerImage.AppUid.ToString(CultureInfo.InvariantCulture), Property("ContainerUser"));
        Assert.Equal(Assert.Single(Dockerfile.Final.Arguments("WORKDIR")), Property("ContainerWorkingDirectory"));
        Assert.Equal(ServerImage.ExposedPorts(Dockerfile).Order(), ports.Order());
        Assert.Equal(Dockerfile.Final.Environment().OrderBy(p => p.Key, StringComparer.Ordinal), environment.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Dockerignore_KeepsBuildOutputAndNodeModulesOut_ButNothingTheBuildStageCopies()
    {
        var ignored = File.ReadAllLines(DeployFiles.PathOf(".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);
        var copied = Dockerfile.Stages[0].Arguments("COPY")
            .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .ToList();

        Assert.Superset(new HashSet<string>(["**/bin/", "**/obj/", "**/node_modules/", ".git/"], StringComparer.Ordinal), ignored);
        Assert.NotEmpty(copied);
        foreach (var source in copied)
        {
            Assert.True(File.Exists(DeployFiles.PathOf(source)) || Directory.Exists(DeployFiles.PathOf(source)), $"COPY source {source} does not exist");
            var topLevel = source.Split('/')[0];
            Assert.DoesNotContain(ignored, pattern => pattern.TrimEnd('/') == topLevel || pattern == source
                || (pattern.StartsWith("*.", StringComparison.Ordinal) && source.EndsWith(pattern[1..], StringComparison.Ordinal)));
        }
    }

    /// <summary>"10.0" for net10.0 (Directory.Build.props).</summary>
    private static string TargetFrameworkVersion()
    {
        var props = XDocument.Load(DeployFiles.PathOf("Directory.Build.props"));
        var framework = Assert.Single(props.Descendants("TargetFramework")).Value;
        Assert.StartsWith("net", framework, StringComparison.Ordinal);
        return framework["net".Length..];
    }
}
