using System.Collections.Concurrent;
using AgentMessage.Server.Delivery;
using AgentMessage.Server.Messaging;
using AgentMessage.Server.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Redis;

/// <summary>Status changes by script (message hash and event stream together), and the event log as
/// a capped Redis Stream per organization.</summary>
public sealed class RedisStatusStore(RedisGate redis, IOptions<DeliveryOptions> options, IOptions<MessagingOptions> messaging, TimeProvider time) : IMessageStatusStore, IStatusEventLog
{
    public async ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rank = DeliveryLifecycle.IsTerminal(status) ? 3 : (int)status;
        var reply = await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.TransitionStatus,
            [RedisKeys.Message(organizationId, messageId), RedisKeys.Events(organizationId)],
            [status.ToString(), rank, errorCode ?? string.Empty, RedisMessageStore.FormatTime(now), options.Value.EventLogLength, organizationId, messageId,
                (long)messaging.Value.Retention.TotalMilliseconds]));
        return reply.IsNull ? null : new StatusEvent((string)reply!, organizationId, messageId, status, errorCode, now, null);
    }

    public async ValueTask<IReadOnlyList<StatusEvent>> ReadAsync(string organizationId, string? after, int count, CancellationToken cancellationToken)
    {
        var entries = await redis.RunAsync(db => db.StreamRangeAsync(RedisKeys.Events(organizationId), after is null ? "-" : "(" + after, "+", count));
        return entries.Select(e => ToEvent(organizationId, e)).ToList();
    }

    public async ValueTask<string?> LastEventIdAsync(string organizationId, CancellationToken cancellationToken)
    {
        var last = await redis.RunAsync(db => db.StreamRangeAsync(RedisKeys.Events(organizationId), "-", "+", 1, Order.Descending));
        return last.Length == 0 ? null : (string?)last[0].Id;
    }

    /// <summary>From XINFO STREAM's max-deleted-entry-id (Redis 7): "0-0" until MAXLEN trims something.</summary>
    public async ValueTask<string?> TrimmedThroughAsync(string organizationId, CancellationToken cancellationToken)
    {
        var key = RedisKeys.Events(organizationId);
        if (!await redis.RunAsync(db => db.KeyExistsAsync(key)))
        {
            return null;
        }

        var info = (RedisResult[])(await redis.RunAsync(db => db.ExecuteAsync("XINFO", "STREAM", key)))!;
        for (var i = 0; i + 1 < info.Length; i += 2)
        {
            if ((string?)info[i] == "max-deleted-entry-id")
            {
                var id = (string?)info[i + 1];
                return id is null or "0-0" ? null : id;
            }
        }

        return null;
    }

    /// <summary>The newest <paramref name="count"/> events, oldest first.</summary>
    public async ValueTask<IReadOnlyList<StatusEvent>> ReadNewestAsync(string organizationId, int count)
    {
        var entries = await redis.RunAsync(db => db.StreamRangeAsync(RedisKeys.Events(organizationId), "-", "+", count, Order.Descending));
        return entries.Reverse().Select(e => ToEvent(organizationId, e)).ToList();
    }

    private static StatusEvent ToEvent(string organizationId, StreamEntry entry)
    {
        string? Field(string name) => entry[name] is { IsNullOrEmpty: false } value ? (string?)value : null;
        return new StatusEvent(
            entry.Id!,
            organizationId,
            Field("m")!,
            Enum.Parse<DeliveryStatus>(Field("s")!),
            Field("e"),
            DateTimeOffset.Parse(Field("at")!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
            Field("t"));
    }
}

/// <summary>
/// Dispatch on Redis Streams: one stream per organization and priority (written by the admission
/// script in the organization's slot), one consumer group "dispatch" shared by every instance, so
/// each entry goes to one worker; entries a dead instance took are claimed back with XAUTOCLAIM.
/// A take reads only the organizations that may have work: those whose doorbell rang (the admission
/// script publishes the organization id) or whose streams gave entries last time; every
/// organization is read at most once a second besides, in case a doorbell was lost.
/// </summary>
public sealed class RedisDispatchQueue : IDispatchQueue, IDisposable
{
    private const string Group = "dispatch";
    private static readonly MessagePriority[] ByPriority = [MessagePriority.High, MessagePriority.Default];

    private readonly RedisGate redis;
    private readonly string consumer = $"{Environment.MachineName}-{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<RedisKey, bool> groups = new();
    private readonly SemaphoreSlim doorbell = new(0);
    private readonly ConcurrentDictionary<string, bool> busy = new(StringComparer.Ordinal);
    private (string[] Organizations, DateTime At) known = ([], DateTime.MinValue);
    private long nextFullScan;

    private int subscribed;

    public RedisDispatchQueue(RedisGate redis) => this.redis = redis;

    public async ValueTask<IReadOnlyList<DispatchItem>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var now = Environment.TickCount64;
        var fullScan = now >= Interlocked.Read(ref nextFullScan);
        if (fullScan)
        {
            Interlocked.Exchange(ref nextFullScan, now + 1000);
        }

        var organizations = fullScan ? await OrganizationsAsync() : busy.Keys.Order(StringComparer.Ordinal).ToArray();
        var items = new List<DispatchItem>(max);
        var productive = new HashSet<string>(StringComparer.Ordinal);
        foreach (var priority in ByPriority)
        {
            foreach (var org in organizations)
            {
                if (items.Count >= max)
                {
                    // Not read this time: keep it as a candidate.
                    productive.Add(org);
                    continue;
                }

                var key = RedisKeys.Dispatch(org, priority);
                await EnsureGroupAsync(key);
                var entries = await redis.RunAsync(db => db.StreamReadGroupAsync(key, Group, consumer, ">", max - items.Count));
                if (entries.Length > 0)
                {
                    productive.Add(org);
                    items.AddRange(entries.Select(e => Item(org, priority, e)));
                }
            }
        }

        foreach (var org in organizations.Where(o => !productive.Contains(o)))
        {
            busy.TryRemove(org, out _);
        }

        foreach (var org in productive)
        {
            busy[org] = true;
        }

        return items;
    }

    public async ValueTask AcknowledgeAsync(DispatchItem item, CancellationToken cancellationToken)
    {
        var (priority, id) = Split(item.EntryId);
        await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.AcknowledgeDispatch, [RedisKeys.Dispatch(item.OrganizationId, priority)], [Group, id]));
    }

    public async ValueTask<IReadOnlyList<DispatchItem>> ReclaimAsync(TimeSpan idle, int max, CancellationToken cancellationToken)
    {
        var items = new List<DispatchItem>();
        foreach (var priority in ByPriority)
        {
            foreach (var org in await OrganizationsAsync())
            {
                var key = RedisKeys.Dispatch(org, priority);
                await EnsureGroupAsync(key);
                var claimed = await redis.RunAsync(db => db.StreamAutoClaimAsync(key, Group, consumer, (long)idle.TotalMilliseconds, "0-0", max));
                items.AddRange(claimed.ClaimedEntries.Select(e => Item(org, priority, e)));
            }
        }

        return items;
    }

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await doorbell.WaitAsync(timeout, cancellationToken);

    /// <summary>Subscribes to the doorbell once Redis can be reached (it may be down at start-up);
    /// until then, and whenever a ring is lost, the once-a-second full scan finds the work.</summary>
    private async ValueTask EnsureSubscribedAsync()
    {
        if (Interlocked.CompareExchange(ref subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            await redis.Multiplexer.GetSubscriber().SubscribeAsync(RedisKeys.DispatchChannel, (_, org) =>
            {
                busy[(string)org!] = true;
                if (doorbell.CurrentCount == 0)
                {
                    doorbell.Release();
                }
            });
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
        {
            Volatile.Write(ref subscribed, 0);
        }
    }

    public void Dispose() => doorbell.Dispose();

    private static DispatchItem Item(string org, MessagePriority priority, StreamEntry entry) =>
        new($"{priority}|{entry.Id}", org, (string)entry["m"]!, priority);

    private static (MessagePriority Priority, string Id) Split(string entryId)
    {
        var bar = entryId.IndexOf('|', StringComparison.Ordinal);
        return (Enum.Parse<MessagePriority>(entryId[..bar]), entryId[(bar + 1)..]);
    }

    private async ValueTask<string[]> OrganizationsAsync()
    {
        if (DateTime.UtcNow - known.At > TimeSpan.FromSeconds(1))
        {
            var members = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
            known = (members.Select(m => (string)m!).Order(StringComparer.Ordinal).ToArray(), DateTime.UtcNow);
        }

        return known.Organizations;
    }

    private async ValueTask EnsureGroupAsync(RedisKey key)
    {
        if (groups.ContainsKey(key))
        {
            return;
        }

        try
        {
            // From the stream's start: entries queued before the group existed are not skipped.
            await redis.RunAsync(db => db.StreamCreateConsumerGroupAsync(key, Group, "0-0", createStream: true));
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }

        groups[key] = true;
    }
}

public sealed class RedisSendPacer(RedisGate redis, PaceTable paces) : ISendPacer
{
    public async ValueTask<TimeSpan> TryPassAsync(string organizationId, string fromNumber, CancellationToken cancellationToken)
    {
        var policy = await paces.ForAsync(organizationId, fromNumber, cancellationToken);
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.RateLimit, [RedisKeys.Pace(organizationId, fromNumber)], [policy.Burst, policy.PerSecond])))!;
        var decision = TokenBucket.Decide((int)reply[0] == 1, RedisSendAdmission.ParseTokens(reply[1]), policy);
        return decision.Allowed ? TimeSpan.Zero : decision.RetryAfter;
    }
}

/// <summary>
/// The one reader of status events per process. A pub/sub message (the organization id) rings
/// when an organization has new events; the reader then reads that organization's stream from
/// where it last stopped (plain XRANGE: StackExchange.Redis has no blocking reads) and hands the
/// events to the local <see cref="StatusEventHub"/>, which fans them out to every open stream.
/// Only organizations with open streams here are read, and each is also polled once a second, in
/// case a doorbell was lost while the connection was down.
/// </summary>
public sealed class RedisEventReader(RedisGate redis, RedisStatusStore log, StatusEventHub hub, ILogger<RedisEventReader> logger) : BackgroundService
{
    private const int Backfill = 200;
    private readonly ConcurrentDictionary<string, bool> rung = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> lastSeen = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim doorbell = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribed = false;
        var lastPoll = DateTime.MinValue;
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
            if (DateTime.UtcNow - lastPoll > TimeSpan.FromSeconds(1))
            {
                due.AddRange(watched);
                lastPoll = DateTime.UtcNow;
            }

            foreach (var org in due.Distinct().Where(watched.Contains))
            {
                try
                {
                    await ReadAsync(org, stoppingToken);
                }
                catch (Errors.ApiException exception) when (exception.Error == Errors.ErrorCode.Unavailable)
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
            await redis.Multiplexer.GetSubscriber().SubscribeAsync(RedisKeys.EventsChannel, (_, org) =>
            {
                rung[(string)org!] = true;
                if (doorbell.CurrentCount == 0)
                {
                    doorbell.Release();
                }
            });
            return true;
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
        {
            return false;
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
        doorbell.Dispose();
        base.Dispose();
    }
}
