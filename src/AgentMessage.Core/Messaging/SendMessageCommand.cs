namespace AgentMessage.Core.Messaging;

/// <summary>What a caller asked to send, before any rule is checked. <see cref="SendAt"/> and
/// <see cref="ValidityPeriodSeconds"/> are absent unless the caller gave them; so is
/// <see cref="InReplyTo"/>, the inbound message a reply answers.</summary>
public sealed record SendMessageCommand(
    string From,
    string To,
    string Text,
    IReadOnlyList<string> Media,
    MessagePriority? Priority,
    string? Tag,
    DateTimeOffset? SendAt = null,
    int? ValidityPeriodSeconds = null,
    string? InReplyTo = null);
