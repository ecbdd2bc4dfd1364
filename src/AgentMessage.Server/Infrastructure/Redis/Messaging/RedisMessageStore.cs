using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Messaging;

/// <summary>
/// Messages as hashes (field names in <see cref="RedisFields"/>): the JSON as accepted and the
/// fields a status change sets (status, updated_at, error code, and the tag events carry), listed through a sorted set per
/// organization (and one per tag, and one of inbound messages) whose scores are the organization's
/// message sequence. Page tokens carry the last sequence handed out. A listing reads the narrowest
/// index its filters allow (the tag's, else the inbound one for inbound messages, else all) and
/// applies the other filters as it reads, up to <see cref="MaxScannedPerPage"/> entries a page.
/// Retention: a message hash expires <see cref="MessagingOptions.Retention"/> after it is sent or
/// final (the status script). Index entries it leaves behind are dropped when a listing meets them
/// and, for the organization's own and inbound indexes, by <see cref="SweepAsync"/>; a tag's index expires as a
/// whole <see cref="TagIndexLifetime"/> after the last send with that tag.
/// </summary>
public sealed class RedisMessageStore(RedisGate redis) : IMessageStore
{
    /// <summary>Index entries read per step of a sweep.</summary>
    private const int SweepPage = 200;

    /// <summary>Twice the retention: a tag's last message has normally expired well before its index.</summary>
    public static TimeSpan TagIndexLifetime(MessagingOptions options) => options.Retention * 2;

    /// <summary>
    /// Drops the organization's oldest index entries whose messages have expired, oldest first, and
    /// stops at the first page holding a live message (messages expire roughly in send order), in
    /// the index of all its messages and in that of its inbound ones. Returns how many entries it
    /// dropped. Idempotent, so instances may sweep at the same time.
    /// </summary>
    public async Task<int> SweepAsync(string organizationId, CancellationToken cancellationToken) =>
        await SweepIndexAsync(organizationId, RedisKeys.MessageIndex(organizationId), cancellationToken) +
        await SweepIndexAsync(organizationId, RedisKeys.InboundIndex(organizationId), cancellationToken);

    private async Task<int> SweepIndexAsync(string organizationId, RedisKey index, CancellationToken cancellationToken)
    {
        var dropped = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var ids = await redis.RunAsync(db => db.SortedSetRangeByRankAsync(index, 0, SweepPage - 1));
            if (ids.Length == 0)
            {
                return dropped;
            }

            var gone = await ExpiredAsync(organizationId, ids);
            if (gone.Length > 0)
            {
                await redis.RunAsync(db => db.SortedSetRemoveAsync(index, gone));
                dropped += gone.Length;
            }

            if (gone.Length < ids.Length)
            {
                return dropped;
            }
        }

        return dropped;
    }

    private async Task<RedisValue[]> ExpiredAsync(string organizationId, RedisValue[] ids)
    {
        var exists = await redis.RunAsync(async db =>
        {
            var pipeline = db.CreateBatch();
            var checks = ids.Select(id => pipeline.KeyExistsAsync(RedisKeys.Message(organizationId, id!))).ToArray();
            pipeline.Execute();
            return await Task.WhenAll(checks);
        });
        return [.. ids.Where((_, i) => !exists[i])];
    }

    // Filters the index does not answer (status, direction, from, to) are applied to the index as
    // read; a page reads at most this many entries before answering (possibly short, with a token
    // to continue), so no request scans without end.
    private const int MaxScannedPerPage = 1000;

    private static readonly RedisValue[] Fields = [RedisFields.MessageJson, RedisFields.MessageStatus, RedisFields.MessageUpdatedAt, RedisFields.MessageErrorCode, RedisFields.MessageEventId];

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken) =>
        Compose(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Message(organizationId, id), Fields)));

    public async ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken)
    {
        var below = query.PageToken is { Length: > 0 } token ? PageToken.Decode(token) : long.MaxValue;
        if (query.Tag is not null && query.Direction == MessageDirection.Inbound)
        {
            // Inbound messages have no tag.
            return new MessagePage([], null);
        }

        var index = query.Tag is { } tag ? RedisKeys.TagIndex(organizationId, tag)
            : query.Direction == MessageDirection.Inbound ? RedisKeys.InboundIndex(organizationId)
            : RedisKeys.MessageIndex(organizationId);
        var page = new List<Message>(query.PageSize);
        var scanned = 0;
        var filtered = query.Status is not null || query.From is not null || query.To is not null ||
            (query.Direction is not null && (query.Tag is not null || query.Direction != MessageDirection.Inbound));
        var batch = filtered ? Math.Max(query.PageSize * 2, 50) : query.PageSize + 1;
        while (scanned < MaxScannedPerPage)
        {
            var upper = below;
            var entries = await redis.RunAsync(db => db.SortedSetRangeByScoreWithScoresAsync(
                index, double.NegativeInfinity, upper, Exclude.Stop, Order.Descending, 0, batch));
            if (entries.Length == 0)
            {
                return new MessagePage(page, null);
            }

            var values = await redis.RunAsync(async db =>
            {
                var pipeline = db.CreateBatch();
                var reads = entries.Select(e => pipeline.HashGetAsync(RedisKeys.Message(organizationId, e.Element!), Fields)).ToArray();
                pipeline.Execute();
                return await Task.WhenAll(reads);
            });
            var expired = new List<RedisValue>();
            var more = false;
            for (var i = 0; i < entries.Length; i++)
            {
                if (page.Count == query.PageSize)
                {
                    more = true;
                    break;
                }

                scanned++;
                below = (long)entries[i].Score;
                var message = Compose(values[i]);
                if (message is null)
                {
                    expired.Add(entries[i].Element);
                }
                else if (query.Matches(message))
                {
                    page.Add(message);
                }
            }

            if (expired.Count > 0)
            {
                // Entries of messages past their retention: the listing that meets them drops them.
                await redis.RunAsync(db => db.SortedSetRemoveAsync(index, [.. expired]));
            }

            if (more)
            {
                return new MessagePage(page, PageToken.Encode(below));
            }

            if (entries.Length < batch)
            {
                return new MessagePage(page, null);
            }
        }

        return new MessagePage(page, PageToken.Encode(below));
    }

    /// <summary>A message from its hash fields: JSON, status, updated_at, error code and, when read,
    /// the id of the event that set the status (<see cref="Fields"/>'s order).</summary>
    internal static Message? Compose(RedisValue[] fields)
    {
        if (fields[0].IsNull)
        {
            return null;
        }

        var message = MessageJson.Deserialize(fields[0]!);
        return message with
        {
            Status = StoredNames.DeliveryStatus.Parse(fields[1]!),
            UpdatedAt = DateTimeOffset.Parse(fields[2]!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
            ErrorCode = fields[3].IsNullOrEmpty ? null : (string?)fields[3],
            EventId = fields.Length > 4 && !fields[4].IsNullOrEmpty ? (string?)fields[4] : null,
        };
    }
}
