using System.Reflection;

namespace AgentMessage.Core.Tests;

/// <summary>Core is the domain: it may not lean on a transport or a store.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Core_ReferencesNoAspNetCoreGrpcRedisOrAwsAssembly()
    {
        var core = typeof(AgentMessage.Core.Messaging.MessageService).Assembly;
        string[] forbidden = ["Microsoft.AspNetCore", "Grpc", "Google.Protobuf", "StackExchange.Redis", "AWSSDK", "AgentMessage.Server", "AgentMessage.Contracts"];

        var leaks = core.GetReferencedAssemblies()
            .Select(reference => reference.Name ?? string.Empty)
            .Where(name => forbidden.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();

        Assert.Empty(leaks);
        Assert.Equal("AgentMessage.Core", core.GetName().Name);
    }

    [Fact]
    public void Core_TypesLiveInCoreNamespaces()
    {
        var core = typeof(AgentMessage.Core.Messaging.MessageService).Assembly;

        var strays = core.GetTypes()
            .Where(type => type.Namespace is { } ns && !ns.StartsWith("AgentMessage.Core", StringComparison.Ordinal) && !ns.StartsWith("Microsoft.", StringComparison.Ordinal) && !ns.StartsWith("System.", StringComparison.Ordinal))
            .Select(type => type.FullName)
            .ToList();

        Assert.Empty(strays);
        Assert.Contains(core.GetTypes(), type => type.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null);
    }
}
