namespace AgentMessage.Core.Messaging;

/// <summary>What a caller asked to send, before any rule is checked.</summary>
public sealed record SendMessageCommand(
    string From,
    string To,
    string Text,
    IReadOnlyList<string> Media,
    MessagePriority? Priority,
    string? Tag);
