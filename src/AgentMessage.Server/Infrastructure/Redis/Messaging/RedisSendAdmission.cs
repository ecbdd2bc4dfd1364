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
    // Per organization: whether this instance has put it on the dispatch registry (a set add per
    // organization and process), and the keys every send of it names, built once.
    private readonly ConcurrentDictionary<string, OrganizationKeys> organizations = new(StringComparer.Ordinal);

    public async ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        var org = request.OrganizationId;
        var message = request.Message;
        var known = organizations.GetOrAdd(org, static id => new OrganizationKeys(id));
        if (message is not null && !known.Registered)
        {
            // Before the first message of the organization is queued, so no queued message is ever
            // in a stream the workers do not know.
            await redis.RunAsync(db => db.SetAddAsync(RedisKeys.DispatchOrganizations, org));
            known.Registered = true;
        }

        RedisKey[] keys =
        [
            known.SendBucket,
            request.Claim is { } claim ? RedisKeys.Idempotency(claim.Scope) : known.Unused,
            message is null ? known.Unused : RedisKeys.Message(org, message.Id),
            known.MessageIndex,
            known.MessageSequence,
            message?.Tag is { } tag ? RedisKeys.TagIndex(org, tag) : known.Unused,
            message is null ? known.Unused
                : message.Status == DeliveryStatus.Scheduled ? known.DispatchScheduled
                : RedisKeys.DispatchLane(org, message.From, message.Priority),
            known.Events,
            message is null || message.Priority == MessagePriority.Default ? known.DefaultReady : RedisKeys.DispatchReady(org, message.Priority),
            known.EventsRung,
            known.DispatchRung,
        ];
        RedisValue[] args =
        [
            request.Policy.Burst,
            request.Policy.PerSecond,
            request.Claim?.Owner ?? string.Empty,
            message is null ? string.Empty : MessageJson.SerializeToUtf8Bytes(message),
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

    private sealed class OrganizationKeys(string org)
    {
        public volatile bool Registered;
        public readonly RedisKey SendBucket = RedisKeys.Bucket(org, RateLimitedOperation.Send);
        public readonly RedisKey Unused = RedisKeys.Unused(org);
        public readonly RedisKey MessageIndex = RedisKeys.MessageIndex(org);
        public readonly RedisKey MessageSequence = RedisKeys.MessageSequence(org);
        public readonly RedisKey DispatchScheduled = RedisKeys.DispatchScheduled(org);
        public readonly RedisKey Events = RedisKeys.Events(org);
        public readonly RedisKey DefaultReady = RedisKeys.DispatchReady(org, MessagePriority.Default);
        public readonly RedisKey EventsRung = RedisKeys.EventsRung(org);
        public readonly RedisKey DispatchRung = RedisKeys.DispatchRung(org);
    }

    internal static double ParseTokens(RedisResult value) => double.Parse((string)value!, System.Globalization.CultureInfo.InvariantCulture);
}
