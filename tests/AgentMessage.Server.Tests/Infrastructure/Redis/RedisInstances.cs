using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Server.Tests.Infrastructure.Redis;

/// <summary>Two service instances sharing one real redis-server, as in production.</summary>
public sealed class RedisInstances : IAsyncDisposable
{
    private RedisInstances(RedisServer redis, ShiftedTimeProvider clock, TestServer a, TestServer b)
    {
        Redis = redis;
        Clock = clock;
        A = a;
        B = b;
    }

    public RedisServer Redis { get; }

    /// <summary>The clock both instances read; a test advances it to move past their local cache TTL.</summary>
    public ShiftedTimeProvider Clock { get; }

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

        var clock = new ShiftedTimeProvider();
        void UseClock(IServiceCollection services) => services.AddSingleton<TimeProvider>(clock);
        var a = await TestServer.StartAsync(configuration, UseClock);
        var b = await TestServer.StartAsync(configuration, UseClock);
        return new RedisInstances(redis, clock, a, b);
    }

    /// <summary>Stops instance A for good, as if its machine went away.</summary>
    public async Task StopAAsync() => await A.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
