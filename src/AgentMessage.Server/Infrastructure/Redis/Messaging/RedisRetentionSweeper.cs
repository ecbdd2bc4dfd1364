using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Infrastructure.Redis.Messaging;

/// <summary>
/// Keeps every organization's message index as long as its retained messages: every
/// <see cref="Interval"/> it drops the index entries whose messages have expired
/// (<see cref="RedisMessageStore.SweepAsync"/>). Every instance sweeps; a sweep is idempotent and
/// costs one range read and one pipelined existence check per 200 entries.
/// </summary>
public sealed class RedisRetentionSweeper(RedisGate redis, RedisMessageStore messages, TimeProvider time, ILogger<RedisRetentionSweeper> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepAllAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over every organization that has sent or received a message; the entries dropped.</summary>
    public async Task<int> SweepAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            var dropped = 0;
            var senders = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
            var receivers = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.InboundOrganizations));
            foreach (var organization in senders.Union(receivers))
            {
                dropped += await messages.SweepAsync((string)organization!, cancellationToken);
            }

            if (dropped > 0)
            {
                logger.LogInformation("Retention sweep dropped {Count} index entries of expired messages", dropped);
            }

            return dropped;
        }
        catch (StoreUnavailableException)
        {
            // Redis is down: the next tick tries again; the outage is reported by the gate.
            return 0;
        }
    }
}
