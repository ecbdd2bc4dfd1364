namespace AgentMessage.Core.Messaging;

public enum DeliveryStatus
{
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
}
