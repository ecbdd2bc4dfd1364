using AgentMessage.Core.Delivery;

namespace AgentMessage.Core.Webhooks;

/// <summary>The deliverer's two doorbells: new status events to fan out, and deliveries queued or
/// endpoints enabled. Stores ring them (on Redis, from other instances too); waits time out, so a
/// lost ring only delays.</summary>
public sealed class WebhookSignals
{
    public Doorbell Events { get; } = new();

    public Doorbell Work { get; } = new();
}
