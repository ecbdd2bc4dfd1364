using AgentMessage.Core.Messaging;
using AgentMessage.Server.Infrastructure.InMemory.Delivery;

namespace AgentMessage.Server.Infrastructure.InMemory.Messaging;

/// <summary>The embedded default: under one lock, the delivery key, the message and its arrival
/// event. Keys are forgotten once their keep has passed (checked when a key is looked at, and swept
/// as new ones are added).</summary>
public sealed class InMemoryInboundMessageStore(InMemoryStatusStore statuses, TimeProvider time) : IInboundMessageStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Org, string Key), (InboundDelivery Delivery, DateTimeOffset Until)> deliveries = [];
    private DateTimeOffset nextSweep = DateTimeOffset.MinValue;

    public ValueTask<InboundDelivery?> FindDeliveryAsync(string organizationId, string deliveryKey, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return ValueTask.FromResult(Find(organizationId, deliveryKey));
        }
    }

    public ValueTask<InboundDelivery> StoreAsync(InboundStoreRequest request, CancellationToken cancellationToken)
    {
        var message = request.Message;
        lock (gate)
        {
            if (request.DeliveryKey is { } key)
            {
                if (Find(message.OrganizationId, key) is { } earlier)
                {
                    return ValueTask.FromResult(earlier);
                }

                Sweep();
                deliveries[(message.OrganizationId, key)] = (new InboundDelivery(message.Id, request.KeywordApplied, Repeated: true), time.GetUtcNow() + request.Keep);
            }

            statuses.AddAccepted(message);
            return ValueTask.FromResult(new InboundDelivery(message.Id, request.KeywordApplied, Repeated: false));
        }
    }

    private InboundDelivery? Find(string organizationId, string key) =>
        deliveries.TryGetValue((organizationId, key), out var entry) && entry.Until > time.GetUtcNow() ? entry.Delivery : null;

    private void Sweep()
    {
        var now = time.GetUtcNow();
        if (now < nextSweep)
        {
            return;
        }

        nextSweep = now + TimeSpan.FromMinutes(1);
        foreach (var stale in deliveries.Where(pair => pair.Value.Until <= now).Select(pair => pair.Key).ToList())
        {
            deliveries.Remove(stale);
        }
    }
}
