using System.Globalization;
using AgentMessage.Server.Infrastructure.Redis;
using StackExchange.Redis;

namespace AgentMessage.LoadTest;

/// <summary>One entry of an organization's status event stream, as the dispatch scenarios read it.</summary>
/// <param name="MessageId">The message the event is about.</param>
/// <param name="Status">The status moved to, in lower case (the build before the dispatch rewrite
/// stored "Queued", this one "queued").</param>
/// <param name="At">occurred_at: the server's clock when the move was recorded.</param>
public sealed record StatusEntry(string MessageId, string Status, DateTimeOffset At);

/// <summary>
/// The organization's status event stream (<see cref="RedisKeys.Events"/>), read after the fact:
/// every move of every message with the server's time of it, so the dispatch scenarios can check
/// each message's path and time it without watching it while it runs. The servers of those
/// scenarios keep a long enough log (AgentMessage:Delivery:EventLogLength) that none is trimmed.
/// </summary>
public static class EventLog
{
    private const int Page = 10_000;

    /// <summary>How many entries the stream holds now (XLEN, O(1): cheap enough to poll).</summary>
    public static async Task<long> LengthAsync(IDatabase redis, string organizationId) =>
        await redis.StreamLengthAsync(RedisKeys.Events(organizationId));

    /// <summary>Every entry, oldest first, read in pages (XRANGE).</summary>
    public static async Task<List<StatusEntry>> ReadAllAsync(IDatabase redis, string organizationId)
    {
        var key = RedisKeys.Events(organizationId);
        var entries = new List<StatusEntry>();
        RedisValue start = "-";
        while (true)
        {
            var page = await redis.StreamRangeAsync(key, start, "+", Page);
            foreach (var entry in page)
            {
                if (Parse(entry) is { } parsed)
                {
                    entries.Add(parsed);
                }
            }

            if (page.Length < Page)
            {
                return entries;
            }

            start = "(" + page[^1].Id;
        }
    }

    private static StatusEntry? Parse(StreamEntry entry)
    {
        string? id = null;
        string? status = null;
        string? at = null;
        foreach (var field in entry.Values)
        {
            switch ((string?)field.Name)
            {
                case RedisFields.EntryMessageId:
                    id = field.Value;
                    break;
                case RedisFields.EventStatus:
                    status = field.Value;
                    break;
                case RedisFields.EventOccurredAt:
                    at = field.Value;
                    break;
            }
        }

        return id is null || status is null || at is null
            ? null
            : new StatusEntry(id, status.ToLowerInvariant(), DateTimeOffset.Parse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal));
    }
}
