using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Storage;
using AgentMessage.Server.Infrastructure.Redis.Delivery;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Messaging;

/// <summary>One script per accepted send: token, message, index entries, its place on the dispatch
/// schedule, its first event and the idempotency commit.</summary>
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
            message is null ? RedisKeys.Unused(org)
                : message.Status == DeliveryStatus.Scheduled ? RedisKeys.DispatchScheduled(org)
                : RedisKeys.DispatchLane(org, message.From, message.Priority),
            RedisKeys.Events(org),
            RedisKeys.DispatchReady(org, message?.Priority ?? MessagePriority.Default),
            RedisKeys.EventsRung(org),
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
            message is null ? string.Empty : StoredNames.DeliveryStatus.ToStored(message.Status),
            RedisKeys.DispatchChannelName,
            RedisKeys.EventsChannelName,
            message is { Status: DeliveryStatus.Scheduled, SendAt: { } sendAt } ? sendAt.ToUnixTimeMilliseconds() : string.Empty,
            message?.CreatedAt.ToUnixTimeMilliseconds() ?? 0,
            message?.From ?? string.Empty,
            StoredNames.MessagePriority.ToStored(message?.Priority ?? MessagePriority.Default),
            message?.ValidUntil is { } validUntil ? validUntil.ToUnixTimeMilliseconds() : string.Empty,
            request.PaceInterval.TotalMilliseconds,
            (long)RingEcho.Window.TotalMilliseconds,
        ];
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.AdmitSend, keys, args)))!;
        if ((int)reply[0] == -1)
        {
            return new Admission(default, LeaseLost: true);
        }

        var allowed = (int)reply[0] == 1;
        var decision = TokenBucket.Decide(allowed, ParseTokens(reply[1]), request.Policy);
        return new Admission(decision);
    }

    internal static double ParseTokens(RedisResult value) => double.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture);
}
