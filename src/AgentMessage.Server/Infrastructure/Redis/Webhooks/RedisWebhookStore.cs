using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.Redis.Delivery;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Webhooks;

/// <summary>
/// Webhook endpoints and pending deliveries on Redis (<see cref="WebhookScripts"/>): durable, and
/// shared by every instance. The fan-out reads each organization's status event stream through a
/// consumer group, so each event is fanned out by one instance, and an instance that dies between
/// reading and fanning out has its entries claimed by another after <see cref="ReclaimIdle"/>.
/// Doorbells: the status events channel rings the fan-out; the webhooks channel, published when
/// deliveries are queued or an endpoint is enabled, rings every instance's delivery loop.
/// </summary>
public sealed class RedisWebhookStore(RedisGate redis, WebhookSignals signals, TimeProvider time) : IWebhookStore, IDisposable
{
    public const string ConsumerGroup = "webhooks";
    public const string WorkChannelName = "am:webhooks";

    /// <summary>How long a read event may stay un-fanned-out before another instance takes it over.</summary>
    public static readonly TimeSpan ReclaimIdle = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);
    private static readonly RedisChannel WorkChannel = RedisChannel.Literal(WorkChannelName);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly string consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private readonly Dictionary<string, long> lastReclaim = new(StringComparer.Ordinal);
    private string[] known = [];
    private long nextScan;
    private int subscribed;

    // Sends ring the events doorbell at most once per RingEcho.Window: the fan-out looks again
    // after each ring.
    private RingEcho? echo;

    public async ValueTask<bool> CreateAsync(string organizationId, WebhookEndpoint endpoint, int maxPerOrganization, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.SetAddAsync(RedisKeys.WebhookOrganizations, organizationId));
        var first = await redis.RunAsync(db => db.SortedSetLengthAsync(RedisKeys.WebhookOrder(organizationId))) == 0;
        await EnsureGroupAsync(organizationId, restart: first);
        var created = (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Create,
            [RedisKeys.WebhookEndpoints(organizationId), RedisKeys.WebhookOrder(organizationId), RedisKeys.WebhookSubscriptions(organizationId), RedisKeys.WebhookDisabled(organizationId)],
            [RedisKeys.OrgPrefix(organizationId), endpoint.Id, Serialize(endpoint), endpoint.CreatedAt.ToUnixTimeMilliseconds(), Subscriptions(endpoint), maxPerOrganization, endpoint.DisabledReason ?? string.Empty]));
        Interlocked.Exchange(ref nextScan, 0);
        return created == 1;
    }

    public async ValueTask<WebhookEndpoint?> GetAsync(string organizationId, string endpointId, CancellationToken cancellationToken)
    {
        var json = await redis.RunAsync(db => db.HashGetAsync(RedisKeys.WebhookEndpoints(organizationId), endpointId));
        if (json.IsNullOrEmpty)
        {
            return null;
        }

        var reason = await redis.RunAsync(db => db.HashGetAsync(RedisKeys.WebhookDisabled(organizationId), endpointId));
        return Deserialize(json!, reason);
    }

    public async ValueTask<IReadOnlyList<WebhookEndpoint>> ListAsync(string organizationId, CancellationToken cancellationToken)
    {
        // The three reads at once: one round trip's wait.
        var endpointsRead = redis.RunAsync(db => db.HashGetAllAsync(RedisKeys.WebhookEndpoints(organizationId)));
        var disabledRead = redis.RunAsync(db => db.HashGetAllAsync(RedisKeys.WebhookDisabled(organizationId)));
        var orderRead = redis.RunAsync(db => db.SortedSetRangeByRankAsync(RedisKeys.WebhookOrder(organizationId)));
        await Task.WhenAll(endpointsRead, disabledRead, orderRead);

        // Create and Delete change the endpoints and their order in one script: the order names each endpoint once.
        var endpoints = endpointsRead.Result.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        var disabled = disabledRead.Result.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        return [.. orderRead.Result
            .Select(id => (string)id!)
            .Where(endpoints.ContainsKey)
            .Select(id => Deserialize(endpoints[id]!, disabled.GetValueOrDefault(id)))];
    }

    public async ValueTask<bool> UpdateAsync(string organizationId, WebhookEndpoint endpoint, CancellationToken cancellationToken)
    {
        var updated = (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Update,
            [RedisKeys.WebhookEndpoints(organizationId), RedisKeys.WebhookSubscriptions(organizationId), RedisKeys.WebhookDisabled(organizationId), RedisKeys.WebhookFailing(organizationId)],
            [RedisKeys.OrgPrefix(organizationId), endpoint.Id, Serialize(endpoint), Subscriptions(endpoint), endpoint.DisabledReason ?? string.Empty, time.GetUtcNow().ToUnixTimeMilliseconds()]));
        if (updated == 1 && endpoint.Enabled)
        {
            await RingAsync(organizationId);
        }

        return updated == 1;
    }

    public async ValueTask<bool> DeleteAsync(string organizationId, string endpointId, CancellationToken cancellationToken) =>
        (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Delete,
            [
                RedisKeys.WebhookEndpoints(organizationId), RedisKeys.WebhookOrder(organizationId), RedisKeys.WebhookSubscriptions(organizationId),
                RedisKeys.WebhookDisabled(organizationId), RedisKeys.WebhookFailing(organizationId), RedisKeys.WebhookJobs(organizationId),
                RedisKeys.WebhookLogPositions(organizationId),
            ],
            [RedisKeys.OrgPrefix(organizationId), endpointId])) == 1;

    public async ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var now = time.GetTimestamp();
        if (now >= Interlocked.Read(ref nextScan))
        {
            var members = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.WebhookOrganizations));
            known = [.. members.Select(m => (string)m!).Order(StringComparer.Ordinal)];
            Interlocked.Exchange(ref nextScan, now + (long)(RescanInterval.TotalSeconds * time.TimestampFrequency));
        }

        return known;
    }

    public async ValueTask<IReadOnlyList<StatusEvent>> ReadEventsAsync(string organizationId, int max, CancellationToken cancellationToken)
    {
        var key = RedisKeys.Events(organizationId);
        StreamEntry[] entries;
        try
        {
            entries = ReclaimDue(organizationId)
                ? (await redis.RunAsync(db => db.StreamAutoClaimAsync(key, ConsumerGroup, consumer, (long)ReclaimIdle.TotalMilliseconds, "0-0", max))).ClaimedEntries
                : [];
            if (entries.Length == 0)
            {
                entries = await redis.RunAsync(db => db.StreamReadGroupAsync(key, ConsumerGroup, consumer, StreamPosition.NewMessages, max));
            }
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // The stream was removed (or never existed): start the group at its end.
            await EnsureGroupAsync(organizationId, restart: false);
            return [];
        }

        // An entry trimmed from the stream while pending comes back without its fields.
        return [.. entries.Where(e => !e.IsNull && e.Values.Length > 0).Select(e => RedisStatusStore.ToEvent(organizationId, e))];
    }

    public async ValueTask FanOutAsync(string organizationId, IReadOnlyList<StatusEvent> read, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(4 + read.Count + (events.Count * 3))
        {
            RedisKeys.OrgPrefix(organizationId), time.GetUtcNow().ToUnixTimeMilliseconds(), ConsumerGroup, read.Count,
        };
        args.AddRange(read.Select(e => (RedisValue)e.EventId));
        foreach (var webhookEvent in events)
        {
            args.Add(webhookEvent.EventId);
            args.Add(webhookEvent.Type);
            args.Add(webhookEvent.Body);
        }

        var queued = (long)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.FanOut,
            [RedisKeys.WebhookSubscriptions(organizationId), RedisKeys.WebhookDisabled(organizationId), RedisKeys.WebhookJobs(organizationId), RedisKeys.Events(organizationId)],
            [.. args]));
        if (queued > 0)
        {
            await RingAsync(organizationId);
        }
    }

    public async ValueTask EnqueueAsync(string organizationId, string endpointId, WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Enqueue,
            [RedisKeys.WebhookEndpoints(organizationId), RedisKeys.WebhookJobs(organizationId)],
            [RedisKeys.OrgPrefix(organizationId), time.GetUtcNow().ToUnixTimeMilliseconds(), endpointId, webhookEvent.EventId, webhookEvent.Type, webhookEvent.Body]));
        await RingAsync(organizationId);
    }

    public async ValueTask<WebhookClaim> ClaimAsync(string organizationId, int max, int maxInFlightPerEndpoint, TimeSpan lease, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Claim,
            [RedisKeys.WebhookOrder(organizationId), RedisKeys.WebhookDisabled(organizationId), RedisKeys.WebhookJobs(organizationId)],
            [RedisKeys.OrgPrefix(organizationId), time.GetUtcNow().ToUnixTimeMilliseconds(), max, maxInFlightPerEndpoint, (long)lease.TotalMilliseconds])))!;
        var next = (long)reply[0];
        var jobs = new List<WebhookJob>((reply.Length - 1) / 2);
        for (var i = 1; i + 1 < reply.Length; i += 2)
        {
            jobs.Add(ParseJob((string)reply[i]!, (byte[])reply[i + 1]!));
        }

        return new WebhookClaim(jobs, next < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(next));
    }

    public async ValueTask SettleAsync(string organizationId, IReadOnlyList<WebhookSettlement> settlements, TimeSpan disableAfter, int attemptLogLength, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(4 + (settlements.Count * 6))
        {
            RedisKeys.OrgPrefix(organizationId), time.GetUtcNow().ToUnixTimeMilliseconds(), (long)disableAfter.TotalMilliseconds, attemptLogLength,
        };
        foreach (var settlement in settlements)
        {
            args.Add(settlement.Job.JobId);
            args.Add(settlement.Job.EndpointId);
            args.Add(settlement.Disposition switch
            {
                WebhookDisposition.Delivered => "D",
                WebhookDisposition.Retry => "R",
                WebhookDisposition.GiveUp => "X",
                _ => "G",
            });
            args.Add(settlement.RetryAt?.ToUnixTimeMilliseconds() ?? 0);
            args.Add(settlement.Attempt.AttemptedAt.ToUnixTimeMilliseconds());
            args.Add(JsonSerializer.Serialize(settlement.Attempt, Json));
        }

        await redis.RunAsync(db => db.ScriptEvaluateAsync(
            WebhookScripts.Settle,
            [
                RedisKeys.WebhookEndpoints(organizationId), RedisKeys.WebhookDisabled(organizationId), RedisKeys.WebhookFailing(organizationId),
                RedisKeys.WebhookJobs(organizationId), RedisKeys.WebhookLogPositions(organizationId),
            ],
            [.. args]));
    }

    public async ValueTask<(IReadOnlyList<WebhookAttempt> Attempts, long? Next)> AttemptsAsync(string organizationId, string endpointId, long? before, int count, CancellationToken cancellationToken)
    {
        var entries = await redis.RunAsync(db => db.SortedSetRangeByScoreAsync(
            RedisKeys.WebhookLog(organizationId, endpointId), double.NegativeInfinity, before is { } b ? b : double.PositiveInfinity,
            before is null ? Exclude.None : Exclude.Stop, Order.Descending, 0, count + 1));
        var attempts = new List<WebhookAttempt>(Math.Min(entries.Length, count));
        long last = 0;
        foreach (var entry in entries.Take(count))
        {
            var text = (string)entry!;
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            last = long.Parse(text.AsSpan(0, newline), CultureInfo.InvariantCulture);
            attempts.Add(JsonSerializer.Deserialize<WebhookAttempt>(text.AsSpan(newline + 1), Json)!);
        }

        return (attempts, entries.Length > count ? last : null);
    }

    private static WebhookJob ParseJob(string jobId, byte[] record)
    {
        // "attempt\ntype\nevent id\nbody": the body is the rest, whatever bytes it holds.
        var first = Array.IndexOf(record, (byte)'\n');
        var second = Array.IndexOf(record, (byte)'\n', first + 1);
        var third = Array.IndexOf(record, (byte)'\n', second + 1);
        var attempt = int.Parse(Encoding.ASCII.GetString(record, 0, first), CultureInfo.InvariantCulture);
        var type = Encoding.UTF8.GetString(record, first + 1, second - first - 1);
        var eventId = Encoding.UTF8.GetString(record, second + 1, third - second - 1);
        var endpointId = jobId[..jobId.IndexOf('|', StringComparison.Ordinal)];
        return new WebhookJob(endpointId, eventId, type, attempt, record.AsMemory(third + 1));
    }

    private static string Subscriptions(WebhookEndpoint endpoint) => $" {string.Join(' ', endpoint.Events)} ";

    private static string Serialize(WebhookEndpoint endpoint) => JsonSerializer.Serialize(endpoint with { DisabledReason = null }, Json);

    private static WebhookEndpoint Deserialize(string json, RedisValue disabledReason) =>
        JsonSerializer.Deserialize<WebhookEndpoint>(json, Json)! with { DisabledReason = disabledReason.IsNullOrEmpty ? null : (string)disabledReason! };

    private async ValueTask EnsureGroupAsync(string organizationId, bool restart)
    {
        var key = RedisKeys.Events(organizationId);
        try
        {
            await redis.RunAsync(db => db.StreamCreateConsumerGroupAsync(key, ConsumerGroup, StreamPosition.NewMessages, createStream: true));
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            if (restart)
            {
                // The organization's first endpoint since all were deleted: events from now on only.
                await redis.RunAsync(db => db.ExecuteAsync("XGROUP", "SETID", key, ConsumerGroup, "$"));
            }
        }
    }

    /// <summary>Whether to look for entries other instances read and never fanned out: once per
    /// <see cref="ReclaimIdle"/> per organization.</summary>
    private bool ReclaimDue(string organizationId)
    {
        var now = time.GetTimestamp();
        lock (lastReclaim)
        {
            if (lastReclaim.TryGetValue(organizationId, out var at) && time.GetElapsedTime(at, now) < ReclaimIdle)
            {
                return false;
            }

            lastReclaim[organizationId] = now;
        }

        return true;
    }

    private async Task RingAsync(string organizationId)
    {
        signals.Work.Ring();
        await redis.RunAsync(db => db.PublishAsync(WorkChannel, organizationId));
    }

    private async ValueTask EnsureSubscribedAsync()
    {
        if (Interlocked.CompareExchange(ref subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var subscriber = redis.Multiplexer.GetSubscriber();
            // After a failed attempt the events channel may already be heard: not a second time.
            echo ??= await RingEcho.SubscribeAsync(subscriber, RedisKeys.EventsChannel, _ => signals.Events.Ring());
            await subscriber.SubscribeAsync(WorkChannel, (_, _) => signals.Work.Ring());
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
        {
            Volatile.Write(ref subscribed, 0);
        }
    }

    public void Dispose() => echo?.Dispose();
}
