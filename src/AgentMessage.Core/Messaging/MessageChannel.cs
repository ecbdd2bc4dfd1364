namespace AgentMessage.Core.Messaging;

public enum MessageChannel
{
    Sms,
    Mms,
}
