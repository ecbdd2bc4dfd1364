using System.Collections.Concurrent;
using System.Globalization;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>
/// The dispatch schedule on Redis (<see cref="DispatchScripts"/>): per organization, a sorted set
/// of scheduled messages, one list per sender number and priority (its lane), sorted sets of the
/// numbers ready to send, their pace slots and the leases of taken messages; one script per take,
/// per batch of answers, per cancel. An instance reads an organization only when it may have
/// something due: when its doorbell rang (a send, a reclaim), or when the next due time the last
/// take reported has come, and at least once a second besides, in case a doorbell was lost.
/// </summary>
public sealed class RedisDispatchQueue(RedisGate redis, IOptions<DeliveryOptions> options, IOptions<MessagingOptions> messaging, TimeProvider time) : IDispatchQueue, IDisposable
{
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);

    private readonly Doorbell doorbell = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> notBefore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> rings = new(StringComparer.Ordinal);

    // Sends ring the dispatch doorbell at most once per RingEcho.Window and organization: the
    // organization's work is looked at again after its rings go quiet.
    private RingEcho? echo;
    private string[] known = [];
    private long nextScan;
    private int subscribed;
    private bool migrated;

    public async ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var now = time.GetTimestamp();
        if (now >= Interlocked.Read(ref nextScan))
        {
            var members = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
            known = [.. members.Select(m => (string)m!).Order(StringComparer.Ordinal)];
            notBefore.Clear();
            Interlocked.Exchange(ref nextScan, now + (long)(RescanInterval.TotalSeconds * time.TimestampFrequency));
        }

        var utcNow = time.GetUtcNow();
        return [.. known.Where(org => !notBefore.TryGetValue(org, out var at) || at <= utcNow)];
    }

    public async ValueTask<DispatchBatch> TakeAsync(string organizationId, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ringsBefore = rings.GetValueOrDefault(organizationId);
        RedisKey[] keys =
        [
            RedisKeys.DispatchScheduled(organizationId),
            RedisKeys.DispatchReady(organizationId, MessagePriority.High),
            RedisKeys.DispatchReady(organizationId, MessagePriority.Default),
            RedisKeys.DispatchSlots(organizationId),
            RedisKeys.DispatchLeases(organizationId),
            RedisKeys.Events(organizationId),
        ];
        RedisValue[] args =
        [
            RedisKeys.OrgPrefix(organizationId),
            now.ToUnixTimeMilliseconds(),
            RedisMessageStore.FormatTime(now),
            max,
            (long)lease.TotalMilliseconds,
            options.Value.EventLogLength,
            (long)messaging.Value.Retention.TotalMilliseconds,
            RedisKeys.EventsChannelName,
            organizationId,
            SenderPace.BurstWindow.TotalMilliseconds,
            DispatchErrors.ExpiredInQueue,
        ];
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(DispatchScripts.Take, keys, args)))!;
        var expired = (int)reply[0];
        DateTimeOffset? nextDue = ((string?)reply[1]) is { Length: > 0 } due
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)double.Parse(due, CultureInfo.InvariantCulture))
            : null;
        var messages = new List<Message>((reply.Length - 2) / 4);
        for (var i = 2; i + 3 < reply.Length; i += 4)
        {
            if (RedisMessageStore.Compose([(RedisValue)reply[i], (RedisValue)reply[i + 1], (RedisValue)reply[i + 2], (RedisValue)reply[i + 3]]) is { } message)
            {
                messages.Add(message);
            }
        }

        // Nothing more to look at here until the next due time, unless a doorbell rings first. A
        // doorbell that rang while the script ran (a send it did not see) voids that at once: the
        // handler counts the ring before it clears, so one of the two always clears.
        notBefore[organizationId] = messages.Count == max ? now : nextDue ?? now + RescanInterval;
        if (rings.GetValueOrDefault(organizationId) != ringsBefore)
        {
            notBefore.TryRemove(organizationId, out DateTimeOffset _);
        }

        return new DispatchBatch(messages, expired, nextDue);
    }

    public async ValueTask CompleteAsync(string organizationId, IReadOnlyList<DispatchOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        var args = new RedisValue[6 + (outcomes.Count * 3)];
        args[0] = RedisKeys.OrgPrefix(organizationId);
        args[1] = RedisMessageStore.FormatTime(time.GetUtcNow());
        args[2] = options.Value.EventLogLength;
        args[3] = (long)messaging.Value.Retention.TotalMilliseconds;
        args[4] = RedisKeys.EventsChannelName;
        args[5] = organizationId;
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            args[6 + (i * 3)] = outcome.MessageId;
            if (outcome.RetryAt is { } retryAt)
            {
                args[7 + (i * 3)] = string.Empty;
                args[8 + (i * 3)] = retryAt.ToUnixTimeMilliseconds();
            }
            else
            {
                args[7 + (i * 3)] = StoredNames.DeliveryStatus.ToStored(outcome.Status);
                args[8 + (i * 3)] = outcome.ErrorCode ?? string.Empty;
            }
        }

        await redis.RunAsync(db => db.ScriptEvaluateAsync(
            DispatchScripts.Complete,
            [RedisKeys.DispatchLeases(organizationId), RedisKeys.Events(organizationId), RedisKeys.DispatchScheduled(organizationId)],
            args));
    }

    public async ValueTask<int> ReclaimAsync(CancellationToken cancellationToken)
    {
        var members = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var reclaimed = 0;
        foreach (var member in members)
        {
            var org = (string)member!;
            if (!migrated)
            {
                reclaimed += await MigrateLegacyStreamsAsync(org, now);
            }

            var count = (int)await redis.RunAsync(db => db.ScriptEvaluateAsync(
                DispatchScripts.Reclaim,
                [RedisKeys.DispatchLeases(org), RedisKeys.DispatchReady(org, MessagePriority.High), RedisKeys.DispatchReady(org, MessagePriority.Default)],
                [RedisKeys.OrgPrefix(org), now, RedisKeys.DispatchChannelName, org]));
            if (count > 0)
            {
                notBefore.TryRemove(org, out _);
                reclaimed += count;
            }
        }

        migrated = true;
        return reclaimed;
    }

    /// <summary>Moves what is left on the streams messages were queued on before the schedule (a
    /// deployment that ran an earlier version) onto the schedule, so nothing accepted then is lost.</summary>
    private async Task<int> MigrateLegacyStreamsAsync(string org, long now)
    {
        var moved = 0;
        foreach (var priority in (MessagePriority[])[MessagePriority.High, MessagePriority.Default])
        {
            var stream = RedisKeys.LegacyDispatchStream(org, priority);
            long left;
            do
            {
                var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
                    DispatchScripts.MigrateLegacyStream,
                    [stream, RedisKeys.DispatchReady(org, priority)],
                    [RedisKeys.OrgPrefix(org), now, StoredNames.MessagePriority.ToStored(priority), (1000.0 / options.Value.DefaultPacePerSecond).ToString(CultureInfo.InvariantCulture)])))!;
                moved += (int)reply[0];
                left = (long)reply[1];
            }
            while (left > 0);
        }

        return moved;
    }

    public async ValueTask<CancelOutcome> CancelAsync(string organizationId, string messageId, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            DispatchScripts.Cancel,
            [RedisKeys.Message(organizationId, messageId), RedisKeys.DispatchScheduled(organizationId), RedisKeys.Events(organizationId)],
            [messageId, RedisMessageStore.FormatTime(time.GetUtcNow()), options.Value.EventLogLength, (long)messaging.Value.Retention.TotalMilliseconds,
                RedisKeys.EventsChannelName, organizationId])))!;
        var status = (string?)reply[1];
        return new CancelOutcome((int)reply[0] == 1, string.IsNullOrEmpty(status) ? null : StoredNames.DeliveryStatus.Parse(status));
    }

    /// <summary>Waits for a doorbell, and no longer than until the first organization set aside by
    /// its next due time is due again: the dispatcher, which was given none of them, does not know it.</summary>
    public async ValueTask<QueueSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var organizations = await redis.RunAsync(db => db.SetMembersAsync(RedisKeys.DispatchOrganizations));
        long depth = 0;
        DateTimeOffset? oldest = null;
        foreach (var member in organizations)
        {
            var organizationId = (string)member!;
            RedisKey[] keys =
            [
                RedisKeys.DispatchScheduled(organizationId),
                RedisKeys.DispatchReady(organizationId, MessagePriority.High),
                RedisKeys.DispatchReady(organizationId, MessagePriority.Default),
            ];
            RedisValue[] args = [RedisKeys.OrgPrefix(organizationId), now.ToUnixTimeMilliseconds()];
            var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(DispatchScripts.Snapshot, keys, args)))!;
            depth += (long)reply[0];
            if ((string?)reply[1] is { Length: > 0 } dueMs)
            {
                oldest = Earlier(oldest, DateTimeOffset.FromUnixTimeMilliseconds((long)double.Parse(dueMs, CultureInfo.InvariantCulture)));
            }

            if ((string?)reply[2] is { Length: > 0 } headAt && DateTimeOffset.TryParse(headAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                oldest = Earlier(oldest, at);
            }
        }

        return new QueueSnapshot(depth, oldest);
    }

    private static DateTimeOffset Earlier(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } at && at <= candidate ? at : candidate;

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var due in notBefore.Values)
        {
            if (due - now < timeout)
            {
                timeout = due > now ? due - now : TimeSpan.Zero;
            }
        }

        return timeout <= TimeSpan.Zero ? Task.CompletedTask : doorbell.WaitAsync(timeout, time, cancellationToken);
    }

    /// <summary>Subscribes to the dispatch doorbell once Redis can be reached (it may be down at
    /// start-up); until then, and whenever a ring is lost, the once-a-second rescan finds the work.</summary>
    private async ValueTask EnsureSubscribedAsync()
    {
        if (Interlocked.CompareExchange(ref subscribed, 1, 0) != 0)
        {
            return;
        }

        try
        {
            echo = await RingEcho.SubscribeAsync(redis.Multiplexer.GetSubscriber(), RedisKeys.DispatchChannel, Heard);
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
        {
            Volatile.Write(ref subscribed, 0);
        }
    }

    /// <summary>A ring of the dispatch doorbell, or its echo: the organization has new work.</summary>
    private void Heard(string organizationId)
    {
        rings.AddOrUpdate(organizationId, 1, static (_, count) => count + 1);
        notBefore.TryRemove(organizationId, out DateTimeOffset _);
        if (Array.BinarySearch(known, organizationId, StringComparer.Ordinal) < 0)
        {
            // A new organization: look at the registry again at once.
            Interlocked.Exchange(ref nextScan, 0);
        }

        doorbell.Ring();
    }

    public void Dispose() => echo?.Dispose();
}
