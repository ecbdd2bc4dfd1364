using System.Collections.Concurrent;
using AgentMessage.Server.Delivery;
using AgentMessage.Server.Idempotency;
using AgentMessage.Server.Messaging;
using AgentMessage.Server.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Redis;

/// <summary>One script per accepted send: token, message, index entries, dispatch entry, queued
/// event and idempotency commit.</summary>
public sealed class RedisSendAdmission(RedisGate redis, IOptions<IdempotencyOptions> idempotency, IOptions<DeliveryOptions> delivery, IOptions<MessagingOptions> messaging) : ISendAdmission
{
    // Organizations this instance has put on the dispatch registry (a set add per organization and process).
    private readonly ConcurrentDictionary<string, bool> registered = new(StringComparer.Ordinal);

    public async ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        var org = request.OrganizationId;
        var message = request.Message;
        if (message is not null && !registered.ContainsKey(org))
        {
            // Before the first message of the organization is queued, so no queued message is ever
            // in a stream the workers do not know.
            await redis.RunAsync(db => db.SetAddAsync(RedisKeys.DispatchOrganizations, org));
            registered[org] = true;
        }

        RedisKey[] keys =
        [
            RedisKeys.Bucket(org, RateLimitedOperation.Send),
            request.Claim is { } claim ? RedisKeys.Idempotency(claim.Scope) : RedisKeys.Unused(org),
            message is null ? RedisKeys.Unused(org) : RedisKeys.Message(org, message.Id),
            RedisKeys.MessageIndex(org),
            RedisKeys.MessageSequence(org),
            message?.Tag is { } tag ? RedisKeys.TagIndex(org, tag) : RedisKeys.Unused(org),
            RedisKeys.Dispatch(org, message?.Priority ?? MessagePriority.Default),
            RedisKeys.Events(org),
        ];
        RedisValue[] args =
        [
            request.Policy.Burst,
            request.Policy.PerSecond,
            request.Claim?.Owner ?? string.Empty,
            message is null ? string.Empty : MessageJson.Serialize(message),
            message?.Id ?? string.Empty,
            message?.Tag ?? string.Empty,
            (long)idempotency.Value.Retention.TotalMilliseconds,
            message is null ? string.Empty : RedisMessageStore.FormatTime(message.CreatedAt),
            delivery.Value.EventLogLength,
            org,
            (long)RedisMessageStore.TagIndexLifetime(messaging.Value).TotalMilliseconds,
        ];
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.AdmitSend, keys, args)))!;
        if ((int)reply[0] == -1)
        {
            return new Admission(default, Stored: false, LeaseLost: true);
        }

        var allowed = (int)reply[0] == 1;
        var decision = TokenBucket.Decide(allowed, ParseTokens(reply[1]), request.Policy);
        return new Admission(decision, Stored: (int)reply[2] == 1);
    }

    internal static double ParseTokens(RedisResult value) => double.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Buckets for operations other than sends (media uploads), shared by every instance.</summary>
public sealed class RedisRateLimiter(RedisGate redis) : IRateLimiter
{
    public async ValueTask<RateLimitDecision> TryAcquireAsync(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.RateLimit, [RedisKeys.Bucket(organizationId, operation)], [policy.Burst, policy.PerSecond])))!;
        return TokenBucket.Decide((int)reply[0] == 1, RedisSendAdmission.ParseTokens(reply[1]), policy);
    }
}

public sealed class RedisIdempotencyStore(RedisGate redis, IOptions<IdempotencyOptions> options) : IIdempotencyStore
{
    public async ValueTask<IdempotencyStart> BeginAsync(IdempotencyScope scope, string fingerprint, CancellationToken cancellationToken)
    {
        var owner = IdempotencyOptions.NewOwner();
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.BeginIdempotent, [RedisKeys.Idempotency(scope)], [fingerprint, owner, (long)options.Value.Lease.TotalMilliseconds])))!;
        return (string)reply[0]! switch
        {
            "began" => new IdempotencyStart.Began(new IdempotencyClaim(scope, fingerprint, owner)),
            "replay" => new IdempotencyStart.Replay((string)reply[1]!),
            "mismatch" => new IdempotencyStart.Mismatch(),
            _ => new IdempotencyStart.InProgress(),
        };
    }

    public async ValueTask<bool> CommitAsync(IdempotencyClaim claim, string payload, CancellationToken cancellationToken) =>
        (int)await redis.RunAsync(db => db.ScriptEvaluateAsync(
            RedisScripts.CommitIdempotent, [RedisKeys.Idempotency(claim.Scope)], [claim.Owner, payload, (long)options.Value.Retention.TotalMilliseconds])) == 1;

    public async ValueTask ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken) =>
        await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.ReleaseIdempotent, [RedisKeys.Idempotency(claim.Scope)], [claim.Owner]));
}

/// <summary>
/// Messages as hashes: the JSON as accepted ('m') and the fields a status change sets (status 's',
/// updated_at 'u', error code 'e', and the tag 't' events carry), listed through a sorted set per
/// organization (and one per tag) whose scores are the organization's send sequence. Page tokens
/// carry the last sequence handed out.
/// Retention: a message hash expires <see cref="MessagingOptions.Retention"/> after it is sent or
/// final (the status script). Index entries it leaves behind are dropped when a listing meets them
/// and, for the organization's index, by <see cref="SweepAsync"/>; a tag's index expires as a
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
    /// stops at the first page holding a live message (messages expire roughly in send order).
    /// Returns how many entries it dropped. Idempotent, so instances may sweep at the same time.
    /// </summary>
    public async Task<int> SweepAsync(string organizationId, CancellationToken cancellationToken)
    {
        var index = RedisKeys.MessageIndex(organizationId);
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

    // A status filter is applied to the index as read; a page reads at most this many entries
    // before answering (possibly short, with a token to continue), so no request scans without end.
    private const int MaxScannedPerPage = 1000;

    private static readonly RedisValue[] Fields = ["m", "s", "u", "e"];

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken) =>
        Compose(await redis.RunAsync(db => db.HashGetAsync(RedisKeys.Message(organizationId, id), Fields)));

    public async ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken)
    {
        var index = query.Tag is { } tag ? RedisKeys.TagIndex(organizationId, tag) : RedisKeys.MessageIndex(organizationId);
        var below = query.PageToken is { Length: > 0 } token ? PageToken.Decode(token) : long.MaxValue;
        var page = new List<Message>(query.PageSize);
        var scanned = 0;
        var batch = query.Status is null ? query.PageSize + 1 : Math.Max(query.PageSize * 2, 50);
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
                else if (query.Status is null || message.Status == query.Status)
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

    private static Message? Compose(RedisValue[] fields)
    {
        if (fields[0].IsNull)
        {
            return null;
        }

        var message = MessageJson.Deserialize(fields[0]!);
        return message with
        {
            Status = Enum.Parse<DeliveryStatus>(fields[1]!),
            UpdatedAt = DateTimeOffset.Parse(fields[2]!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind),
            ErrorCode = fields[3].IsNullOrEmpty ? null : (string?)fields[3],
        };
    }
}
