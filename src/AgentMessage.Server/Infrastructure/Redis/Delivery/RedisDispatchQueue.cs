using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// Dispatch on Redis Streams: one stream per organization and priority (written by the admission
/// script in the organization's slot), one consumer group "dispatch" shared by every instance, so
/// each entry goes to one worker; entries a dead instance took are claimed back with XAUTOCLAIM.
/// A take reads only the organizations that may have work: those whose doorbell rang (the admission
/// script publishes the organization id) or whose streams gave entries last time; every
/// organization is read at most once a second besides, in case a doorbell was lost. That second is
/// measured on the host's <see cref="TimeProvider"/>.
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
    private readonly TimeProvider time;
    private (string[] Organizations, long? At) known = ([], null);
    private long nextFullScan;

    private int subscribed;

    public RedisDispatchQueue(RedisGate redis, TimeProvider time)
    {
        this.redis = redis;
        this.time = time;
    }

    public async ValueTask<IReadOnlyList<DispatchItem>> TakeAsync(int max, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var now = time.GetTimestamp();
        var fullScan = now >= Interlocked.Read(ref nextFullScan);
        if (fullScan)
        {
            Interlocked.Exchange(ref nextFullScan, now + time.TimestampFrequency);
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
        new($"{StoredNames.MessagePriority.ToStored(priority)}|{entry.Id}", org, (string)entry[RedisFields.EntryMessageId]!, priority);

    private static (MessagePriority Priority, string Id) Split(string entryId)
    {
        var bar = entryId.IndexOf('|', StringComparison.Ordinal);
        return (StoredNames.MessagePriority.Parse(entryId[..bar]), entryId[(bar + 1)..]);
    }

    private async ValueTask<string[]> OrganizationsAsync()
    {
        var now = time.GetTimestamp();
        if (known.At is not { } at || time.GetElapsedTime(at, now) > TimeSpan.FromSeconds(1))
        {
            var members = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
            known = (members.Select(m => (string)m!).Order(StringComparer.Ordinal).ToArray(), now);
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
