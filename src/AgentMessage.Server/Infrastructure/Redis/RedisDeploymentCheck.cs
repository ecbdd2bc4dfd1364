using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// Looks at the Redis the service was given, once at start, for the two settings that lose
/// accepted work silently: an eviction policy other than <c>noeviction</c> (under memory pressure
/// Redis drops idempotency keys, queued messages, API keys) and no persistence at all (a restart
/// loses everything, API keys included). Either is logged as an error at start; the service still
/// starts, since the operator may know better (a cache-only test deployment), and the check runs
/// beside the start, not before it. A Redis that refuses
/// CONFIG (managed services often do) or cannot be reached is noted and not held against it.
/// </summary>
public sealed partial class RedisDeploymentCheck(IOptions<RedisOptions> options, ILogger<RedisDeploymentCheck> logger) : BackgroundService
{
    /// <summary>In the background, so a Redis that is down at start-up does not hold the start.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // CONFIG is an admin command: a short-lived admin connection of its own, so the
            // service's own connection never needs admin rights.
            var configuration = ConfigurationOptions.Parse(options.Value.Configuration!);
            configuration.AllowAdmin = true;
            configuration.AbortOnConnectFail = false;
            configuration.ClientName = "agentmessage-deployment-check";
            await using var admin = await ConnectionMultiplexer.ConnectAsync(configuration);
            var checkedAny = false;
            foreach (var server in admin.GetEndPoints().Select(endpoint => admin.GetServer(endpoint)).Where(s => s.IsConnected && !s.IsReplica))
            {
                var settings = (await server.ConfigGetAsync("*")).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);
                checkedAny = true;
                if (settings.GetValueOrDefault("maxmemory-policy") is { } policy && policy != "noeviction")
                {
                    LogEvictionPolicy(server.EndPoint.ToString() ?? "redis", policy);
                }

                if (settings.GetValueOrDefault("appendonly") == "no" && string.IsNullOrWhiteSpace(settings.GetValueOrDefault("save")))
                {
                    LogNoPersistence(server.EndPoint.ToString() ?? "redis");
                }
            }

            if (checkedAny)
            {
                LogChecked();
            }
            else
            {
                LogUnchecked("no primary reachable");
            }
        }
        catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
        {
            LogUnchecked(exception.Message);
        }
    }

    [LoggerMessage(LogLevel.Error, "Redis {Server}: maxmemory-policy is {Policy}: under memory pressure Redis will evict keys this service needs (idempotency keys, queued messages, API keys); set it to noeviction")]
    private partial void LogEvictionPolicy(string server, string policy);

    [LoggerMessage(LogLevel.Error, "Redis {Server} keeps nothing on disk (appendonly no, no save points): a Redis restart loses every organization, key and queued message; turn on appendonly")]
    private partial void LogNoPersistence(string server);

    [LoggerMessage(LogLevel.Information, "Checked Redis's eviction and persistence settings")]
    private partial void LogChecked();

    [LoggerMessage(LogLevel.Information, "Could not check Redis's eviction and persistence settings ({Reason}); see the README's deployment section")]
    private partial void LogUnchecked(string reason);
}
