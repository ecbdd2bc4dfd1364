using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The one reader of status events per process. A pub/sub message (the organization id) rings
/// when an organization has new events; the reader then reads that organization's stream from
/// where it last stopped (plain XRANGE: StackExchange.Redis has no blocking reads) and hands the
/// events to the local <see cref="StatusEventHub"/>, which fans them out to every open stream.
/// Sends ring at most once per <see cref="RingEcho.Window"/> and organization, so each ring is
/// followed by one more read once that organization's rings have gone quiet (<see cref="RingEcho"/>).
/// Only organizations with open streams here are read, and each is also polled once a second, in
/// case a doorbell was lost while the connection was down. That second is measured on the host's
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class RedisEventReader(RedisGate redis, RedisStatusStore log, StatusEventHub hub, TimeProvider time, ILogger<RedisEventReader> logger) : BackgroundService
{
    private const int Backfill = 200;
    private readonly ConcurrentDictionary<string, bool> rung = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> lastSeen = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim doorbell = new(0);
    private RingEcho? echo;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = false;
        long? lastPoll = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Redis may be down at start-up: keep trying; the once-a-second poll serves meanwhile.
            subscribed = subscribed || await TrySubscribeAsync();

            try
            {
                await doorbell.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var watched = hub.Organizations.ToHashSet(StringComparer.Ordinal);
            foreach (var org in lastSeen.Keys.Where(o => !watched.Contains(o)).ToList())
            {
                lastSeen.Remove(org);
            }

            var due = rung.Keys.ToList();
            rung.Clear();
            var now = time.GetTimestamp();
            if (lastPoll is not { } polled || time.GetElapsedTime(polled, now) > TimeSpan.FromSeconds(1))
            {
                due.AddRange(watched);
                lastPoll = now;
            }

            foreach (var org in due.Distinct().Where(watched.Contains))
            {
                try
                {
                    await ReadAsync(org, stoppingToken);
                }
                catch (StoreUnavailableException)
                {
                    // RedisGate has logged the outage; the poll picks up where it stopped once it ends.
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogError(exception, "Reading status events of {Organization} failed", org);
                }
            }
        }
    }

    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            echo = await RingEcho.SubscribeAsync(redis.Multiplexer.GetSubscriber(), RedisKeys.EventsChannel, Ring);
            return true;
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
        {
            return false;
        }
    }

    private void Ring(string org)
    {
        rung[org] = true;
        if (doorbell.CurrentCount == 0)
        {
            doorbell.Release();
        }
    }

    private async Task ReadAsync(string org, CancellationToken cancellationToken)
    {
        IReadOnlyList<StatusEvent> events;
        if (!lastSeen.TryGetValue(org, out var after))
        {
            // First read for this organization: hand over the newest events; streams skip any
            // they already sent, so none that arrived while a stream was catching up is lost.
            events = await log.ReadNewestAsync(org, Backfill);
        }
        else
        {
            events = await log.ReadAsync(org, after, 500, cancellationToken);
        }

        if (events.Count > 0)
        {
            lastSeen[org] = events[^1].EventId;
            hub.Publish(org, events);
        }
        else if (after is null)
        {
            lastSeen[org] = "0-0";
        }
    }

    public override void Dispose()
    {
        echo?.Dispose();
        doorbell.Dispose();
        base.Dispose();
    }
}
