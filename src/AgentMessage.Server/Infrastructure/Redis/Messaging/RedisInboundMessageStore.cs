using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis.Messaging;

/// <summary>
/// Inbound messages on Redis: one script (<see cref="RedisScripts.StoreInbound"/>) checks the
/// delivery key, stores the message hash with its retention, adds it to the organization's message
/// index and inbound index, appends its arrival event and rings the events doorbell, then remembers
/// the delivery key; so one round trip per inbound message, and a repeated delivery writes nothing.
/// </summary>
public sealed class RedisInboundMessageStore(RedisGate redis, IOptions<DeliveryOptions> delivery, IOptions<MessagingOptions> messaging) : IInboundMessageStore
{
    // Organizations this instance has put on the inbound registry (a set add per organization and process).
    private readonly ConcurrentDictionary<string, bool> registered = new(StringComparer.Ordinal);

    public async ValueTask<InboundDelivery?> FindDeliveryAsync(string organizationId, string deliveryKey, CancellationToken cancellationToken) =>
        Parse(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.InboundDelivery(organizationId, deliveryKey))));

    public async ValueTask<InboundDelivery> StoreAsync(InboundStoreRequest request, CancellationToken cancellationToken)
    {
        var message = request.Message;
        var org = message.OrganizationId;
        if (!registered.ContainsKey(org))
        {
            // Before the first message is stored, so the retention sweep knows every index it must keep.
            await redis.RunAsync(db => db.SetAddAsync(RedisKeys.InboundOrganizations, org));
            registered[org] = true;
        }

        RedisKey[] keys =
        [
            RedisKeys.Message(org, message.Id),
            RedisKeys.MessageIndex(org),
            RedisKeys.InboundIndex(org),
            RedisKeys.MessageSequence(org),
            RedisKeys.Events(org),
            request.DeliveryKey is { } key ? RedisKeys.InboundDelivery(org, key) : RedisKeys.Unused(org),
        ];
        RedisValue[] args =
        [
            MessageJson.Serialize(message),
            message.Id,
            StoredNames.DeliveryStatus.ToStored(message.Status),
            RedisMessageStore.FormatTime(message.CreatedAt),
            delivery.Value.EventLogLength,
            org,
            RedisKeys.EventsChannelName,
            (long)messaging.Value.Retention.TotalMilliseconds,
            request.DeliveryKey is null ? string.Empty : (long)request.Keep.TotalMilliseconds,
            request.KeywordApplied ? 1 : 0,
            StoredNames.MessageDirection.ToStored(message.Direction),
        ];
        var reply = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.StoreInbound, keys, args)))!;
        return (int)reply[0] == 1
            ? new InboundDelivery(message.Id, request.KeywordApplied, Repeated: false)
            : Parse((string?)reply[1]) ?? throw new InvalidOperationException("a stored inbound delivery could not be read");
    }

    /// <summary>A stored delivery: <c>message id\nkeyword applied (0/1)</c>.</summary>
    private static InboundDelivery? Parse(RedisValue stored)
    {
        if (stored.IsNullOrEmpty)
        {
            return null;
        }

        var text = (string)stored!;
        var separator = text.IndexOf('\n', StringComparison.Ordinal);
        return separator < 0 ? null : new InboundDelivery(text[..separator], text[(separator + 1)..] == "1", Repeated: true);
    }
}
