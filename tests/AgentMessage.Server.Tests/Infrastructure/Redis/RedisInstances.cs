
namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Two service instances sharing one real redis-server, as in production.</summary>
public sealed class RedisInstances : IAsyncDisposable
{
    private RedisInstances(RedisServer redis, TestServer a, TestServer b)
    {
        Redis = redis;
        A = a;
        B = b;
    }

    public RedisServer Redis { get; }

    public TestServer A { get; private set; }

    public TestServer B { get; }

    public static async Task<RedisInstances> StartAsync(RedisServer redis, IDictionary<string, string>? settings = null)
    {
        await redis.FlushAsync();
        var configuration = new Dictionary<string, string>
        {
            ["AgentMessage:Redis:Configuration"] = redis.Configuration,
            ["AgentMessage:Dev:Seed"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            configuration[key] = value;
        }

        var a = await TestServer.StartAsync(configuration);
        var b = await TestServer.StartAsync(configuration);
        return new RedisInstances(redis, a, b);
    }

    /// <summary>Stops instance A for good, as if its machine went away.</summary>
    public async Task StopAAsync() => await A.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
