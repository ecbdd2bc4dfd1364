using AgentMessage.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// Every setting the deployment files give the server (the image's ENV, the compose instances'
/// environment, the Kubernetes ConfigMap and Secret) is a configuration key docs/API.md section 11
/// documents, and the server's start-up validation accepts the values.
/// </summary>
public sealed class DeploymentSettingsTests
{
    /// <summary>Read by the ASP.NET Core host itself, not by the server's configuration.</summary>
    private static readonly HashSet<string> HostVariables = new(["ASPNETCORE_HTTP_PORTS"], StringComparer.Ordinal);

    public static TheoryData<string> Sources => ["Dockerfile", "compose", "kubernetes"];

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task EverySettingOfTheDeploymentFiles_IsADocumentedConfigurationKey(string source)
    {
        var settings = await SettingsAsync(source);
        var documented = DeployFiles.DocumentedKeys();

        Assert.NotEmpty(settings);
        Assert.Contains("AgentMessage:Redis:Configuration", documented);
        Assert.Contains("AgentMessage:Carrier:Smpp:Password", documented);
        Assert.Contains("Kestrel:Endpoints:Grpc:Url", documented);
        Assert.All(settings.Keys.Where(k => !HostVariables.Contains(k)), variable =>
            Assert.True(DeployFiles.IsDocumented(DeployFiles.ConfigurationKey(variable), documented), $"{variable} ({source}) is no configuration key of docs/API.md section 11"));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task EverySettingOfTheDeploymentFiles_PassesTheServersStartupValidation(string source)
    {
        var settings = await SettingsAsync(source);

        // Built, not started: nothing connects; the options checked at start-up are validated as StartAsync would.
        await using var app = AgentMessageApp.Build([.. settings.Where(s => !HostVariables.Contains(s.Key)).Select(s => $"--{DeployFiles.ConfigurationKey(s.Key)}={s.Value}")]);
        var exception = Record.Exception(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Null(exception);
    }

    [Fact]
    public async Task StartupValidation_RefusesAWrongValue_SoTheCheckAboveCanFail()
    {
        var settings = await SettingsAsync("kubernetes");
        settings["AgentMessage__Shutdown__DrainDelay"] = "5 seconds";
        settings["AgentMessage__Carrier__Smpp__SystemId"] = "a-system-id-longer-than-15";

        await using var app = AgentMessageApp.Build([.. settings.Select(s => $"--{DeployFiles.ConfigurationKey(s.Key)}={s.Value}")]);
        var exception = Record.Exception(() => app.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.NotNull(exception);
    }

    private static async Task<Dictionary<string, string>> SettingsAsync(string source)
    {
        switch (source)
        {
            case "Dockerfile":
                return new Dictionary<string, string>(DeployFiles.Dockerfile.Final.Environment(), StringComparer.Ordinal);
            case "compose":
                var compose = await DeployFiles.ReadAsync("compose", DeployFiles.ComposeFile);
                return ComposeFileTests.Environment(ComposeFileTests.Services(compose.Document), "agentmessage-1");
            default:
                var manifests = await KubernetesManifestTests.ReadAllAsync();
                var settings = DeployFiles.Strings(KubernetesManifestTests.Kind(manifests, "ConfigMap")["data"]);
                foreach (var (key, value) in DeployFiles.Strings(KubernetesManifestTests.Kind(manifests, "Secret")["stringData"]))
                {
                    Assert.True(settings.TryAdd(key, value), $"{key} is in both the ConfigMap and the Secret");
                }

                return settings;
        }
    }
}
