using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// The stores of one backend (in-memory, or Redis on a given server), built from the same
/// registrations the server uses, on a <see cref="FakeTimeProvider"/>. The contract suites run
/// against it so both backends answer the same port calls the same way.
/// </summary>
public sealed class StoreHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private StoreHarness(ServiceProvider services, FakeTimeProvider time, bool isRedis)
    {
        this.services = services;
        Time = time;
        IsRedis = isRedis;
    }

    /// <summary>The clock of the stores. Redis scripts keep their own (server) time for buckets and paces.</summary>
    public FakeTimeProvider Time { get; }

    public bool IsRedis { get; }

    public static StoreHarness InMemory(IDictionary<string, string?>? settings = null) =>
        Build(settings, services => services.AddInMemoryState(), isRedis: false);

    /// <summary>Redis state on <paramref name="redisConfiguration"/> ("host:port"); the caller owns the server.</summary>
    public static StoreHarness Redis(string redisConfiguration, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>(), StringComparer.Ordinal)
        {
            [$"{RedisOptions.Section}:Configuration"] = redisConfiguration,
        };
        return Build(all, services => services.AddRedisState(), isRedis: true);
    }

    public T Get<T>()
        where T : notnull => services.GetRequiredService<T>();

    /// <summary>Every key on the Redis server with its time to live (null: none). The Redis suites
    /// start each test on an empty server, so these are the keys the test's calls wrote.</summary>
    public async Task<IReadOnlyDictionary<string, TimeSpan?>> RedisKeysAsync()
    {
        var multiplexer = Get<IConnectionMultiplexer>();
        var db = multiplexer.GetDatabase();
        var keys = new Dictionary<string, TimeSpan?>(StringComparer.Ordinal);
        await foreach (var key in multiplexer.GetServers()[0].KeysAsync())
        {
            keys[key!] = await db.KeyTimeToLiveAsync(key);
        }

        return keys;
    }

    /// <summary>A policy no test refills noticeably: one token a day after the burst.</summary>
    public static RateLimitPolicy Generous { get; } = new(1000, 1.0 / 86_400);

    public ValueTask DisposeAsync() => services.DisposeAsync();

    /// <summary>Every page of an organization's listing, as message ids, following the tokens to the end.</summary>
    public async Task<List<List<string>>> ListAllAsync(string org, MessageQuery query)
    {
        var pages = new List<List<string>>();
        var next = query;
        while (true)
        {
            var page = await Get<IMessageStore>().ListAsync(org, next, TestContext.Current.CancellationToken);
            pages.Add([.. page.Messages.Select(m => m.Id)]);
            if (page.NextPageToken is null)
            {
                return pages;
            }

            Assert.True(pages.Count < 20, "the listing does not end");
            next = query with { PageToken = page.NextPageToken };
        }
    }

    private static StoreHarness Build(IDictionary<string, string?>? settings, Action<IServiceCollection> addState, bool isRedis)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<AgentMessage.Core.Telemetry.AgentMessageTelemetry>();
        services.AddSingleton<TimeProvider>(time);
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section);
        services.AddSingleton<StatusEventHub>();
        services.AddSingleton<PaceTable>();
        services.AddSingleton<WebhookSignals>();
        addState(services);
        return new StoreHarness(services.BuildServiceProvider(), time, isRedis);
    }
}
