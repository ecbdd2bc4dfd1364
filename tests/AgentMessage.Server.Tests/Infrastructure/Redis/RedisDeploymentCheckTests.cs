using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>The start-up check of the Redis a deployment gives the service.</summary>
public sealed class RedisDeploymentCheckTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task EvictingOrForgetfulRedis_IsAnErrorAtStart_AndAProperOneIsNot()
    {
        var proper = await StartAndCaptureAsync();
        await redis.Server.CommandAsync("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        await redis.Server.CommandAsync("CONFIG", "SET", "appendonly", "no");
        await redis.Server.CommandAsync("CONFIG", "SET", "save", "");
        try
        {
            var careless = await StartAndCaptureAsync();

            Assert.DoesNotContain(proper, l => l.Contains("maxmemory-policy", StringComparison.Ordinal) || l.Contains("keeps nothing on disk", StringComparison.Ordinal));
            Assert.Contains(careless, l => l.Contains("maxmemory-policy is allkeys-lru", StringComparison.Ordinal));
            Assert.Contains(careless, l => l.Contains("keeps nothing on disk", StringComparison.Ordinal));
        }
        finally
        {
            await redis.Server.CommandAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
            await redis.Server.CommandAsync("CONFIG", "SET", "appendonly", "yes");
        }
    }

    /// <summary>Starts a server on the fixture's Redis and returns its error-level log lines once the check has run.</summary>
    private async Task<IReadOnlyList<string>> StartAndCaptureAsync()
    {
        var sink = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string>
            {
                ["AgentMessage:Redis:Configuration"] = redis.Server.Configuration,
                ["AgentMessage:Dev:Seed"] = "true",
                ["Logging:LogLevel:AgentMessage"] = "Information",
            },
            services => services.AddSingleton<ILoggerProvider>(sink));
        await sink.WaitForLineAsync("Checked Redis's eviction and persistence settings");
        return [.. sink.Errors];
    }
}
