using AgentMessage.Core.Access;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>No secret is ever logged: neither a plaintext key, nor its hash, nor the operator token.</summary>
public sealed class AdminLogTests
{
    [Fact]
    public async Task OperatorCalls_LogIdsButNoSecret_EvenAtTrace()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            Operator.Settings(new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Trace" }),
            services => services.AddSingleton<ILoggerProvider>(sink));

        var org = await server.CreateOrganizationAsync("Logged");
        var (key, keyId) = await server.CreateKeyAsync(org, Scopes.MessagesRead);
        var (rotated, rotatedBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys/{keyId}:rotate");
        var newKey = (string)rotatedBody["data"]!["key"]!;
        await server.Rest.CallAsync(Get("/v1/messages", key));
        await server.AdminAsync(HttpMethod.Get, "/v1/admin/organizations", credential: Operator.Token + "x");

        Assert.Equal(System.Net.HttpStatusCode.Created, rotated.StatusCode);
        var log = string.Join('\n', sink.Lines);
        Assert.Contains($"Operator created API key {keyId} for organization {org}", log, StringComparison.Ordinal);
        foreach (var secret in new[] { key, newKey, ApiKeyFormat.Hash(key), ApiKeyFormat.Hash(newKey), Operator.Token })
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }
}
