namespace AgentMessage.Core.Messaging;

/// <summary>Which way a message travels. A message stored before inbound messages existed has no
/// direction in its stored form and reads as <see cref="Outbound"/>.</summary>
public enum MessageDirection
{
    /// <summary>Sent by the organization, from one of its numbers.</summary>
    Outbound,

    /// <summary>Received by the organization: sent by someone to one of its numbers.</summary>
    Inbound,
}
