namespace AgentMessage.Core.Messaging;

public enum MessagePriority
{
    Default,
    High,
}
