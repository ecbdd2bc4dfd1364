using System.Diagnostics;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>
/// Every Redis call goes through here. While Redis is unreachable, calls fail fast with
/// UNAVAILABLE and a Retry-After instead of waiting; the first failure is logged with its reason and
/// the first success after it is logged as the recovery, so an outage makes two log lines, not one
/// per request. The multiplexer reconnects by itself, so service resumes without a restart.
/// </summary>
public sealed partial class RedisGate(IConnectionMultiplexer multiplexer, IOptions<RedisOptions> options, AgentMessageTelemetry telemetry, ILogger<RedisGate> logger)
{
    private int failing;

    public IConnectionMultiplexer Multiplexer => multiplexer;

    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation)
    {
        var started = telemetry.MeasuresRedis ? Stopwatch.GetTimestamp() : 0;
        var outcome = "error";
        try
        {
            var result = await operation(multiplexer.GetDatabase());
            outcome = "ok";
            if (Volatile.Read(ref failing) == 1 && Interlocked.Exchange(ref failing, 0) == 1)
            {
                LogRecovered();
            }

            return result;
        }
        catch (Exception exception) when (IsUnavailability(exception))
        {
            if (Interlocked.Exchange(ref failing, 1) == 0)
            {
                LogUnreachable(exception.Message);
            }

            throw new StoreUnavailableException("Redis", options.Value.UnavailableRetryAfter, exception);
        }
        finally
        {
            if (started != 0)
            {
                telemetry.RedisCall(Stopwatch.GetElapsedTime(started), outcome);
            }
        }
    }

    public Task RunAsync(Func<IDatabase, Task> operation) => RunAsync(async db =>
    {
        await operation(db);
        return true;
    });

    private static bool IsUnavailability(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal),
        _ => false,
    };

    [LoggerMessage(LogLevel.Warning, "Redis is reachable again; serving normally")]
    private partial void LogRecovered();

    [LoggerMessage(LogLevel.Error, "Redis is unreachable ({Reason}); answering UNAVAILABLE until it returns")]
    private partial void LogUnreachable(string reason);
}
