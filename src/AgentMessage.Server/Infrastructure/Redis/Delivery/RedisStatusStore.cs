using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Delivery;

/// <summary>Status changes by script (message hash and event stream together), and the event log as
/// a capped Redis Stream per organization.</summary>
public sealed class RedisStatusStore(RedisGate redis, IOptions<DeliveryOptions> options, IOptions<MessagingOptions> messaging, TimeProvider time) : IMessageStatusStore, IStatusEventLog
{
    public async ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var reply = await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.TransitionStatus,
            [RedisKeys.Message(organizationId, messageId), RedisKeys.Events(organizationId)],
            [StoredNames.DeliveryStatus.ToStored(status), errorCode ?? string.Empty, RedisMessageStore.FormatTime(now), options.Value.EventLogLength, organizationId, messageId,
                (long)messaging.Value.Retention.TotalMilliseconds, RedisKeys.EventsChannelName]));
        if (reply.IsNull)
        {
            return null;
        }

        // The event as appended: the error code it carries may be one recorded by an earlier move.
        var appended = (RedisResult[])reply!;
        return new StatusEvent((string)appended[0]!, organizationId, messageId, status, EmptyAsNull((string?)appended[1]), now, EmptyAsNull((string?)appended[2]));
    }

    private static string? EmptyAsNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

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

    /// <summary>
    /// From XINFO STREAM (Redis 7): when the stream holds fewer entries than were ever added, the
    /// difference was trimmed by MAXLEN (nothing deletes single events). The stream does not say
    /// which id was trimmed last, so this answers the id just before the first one retained: every
    /// resume from an event older than that has a gap. A resume from exactly the last trimmed event
    /// is refused too unless its id is that one (docs/API.md section 9: an "after" older than the
    /// oldest retained event is refused). max-deleted-entry-id is no help: Redis advances it on
    /// XDEL, not when MAXLEN trims.
    /// </summary>
    public async ValueTask<string?> TrimmedThroughAsync(string organizationId, CancellationToken cancellationToken)
    {
        var key = RedisKeys.Events(organizationId);
        if (!await redis.RunAsync(db => db.KeyExistsAsync(key)))
        {
            return null;
        }

        var info = (RedisResult[])(await redis.RunAsync(db => db.ExecuteAsync("XINFO", "STREAM", key)))!;
        var fields = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < info.Length; i += 2)
        {
            fields[(string)info[i]!] = info[i + 1];
        }

        var added = (long)fields["entries-added"];
        var length = (long)fields["length"];
        if (added <= length || !EventIds.TryParse((string?)fields["recorded-first-entry-id"], out var first))
        {
            return null;
        }

        var (ms, seq) = first.Seq > 0 ? (first.Ms, first.Seq - 1) : (first.Ms - 1, long.MaxValue);
        return $"{ms}-{seq}";
    }

    /// <summary>The newest <paramref name="count"/> events, oldest first.</summary>
    public async ValueTask<IReadOnlyList<StatusEvent>> ReadNewestAsync(string organizationId, int count)
    {
        var entries = await redis.RunAsync(db => db.StreamRangeAsync(RedisKeys.Events(organizationId), "-", "+", count, Order.Descending));
        return entries.Reverse().Select(e => ToEvent(organizationId, e)).ToList();
    }

    internal static StatusEvent ToEvent(string organizationId, StreamEntry entry)
    {
        string? Field(string name) => entry[name] is { IsNullOrEmpty: false } value ? (string?)value : null;
        return new StatusEvent(
            entry.Id!,
            organizationId,
            Field(RedisFields.EntryMessageId)!,
            StoredNames.DeliveryStatus.Parse(Field(RedisFields.EventStatus)!),
            Field(RedisFields.EventErrorCode),
            DateTimeOffset.Parse(Field(RedisFields.EventOccurredAt)!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
            Field(RedisFields.EventTag),
            Field(RedisFields.EventDirection) is { } direction ? StoredNames.MessageDirection.Parse(direction) : MessageDirection.Outbound);
    }
}
