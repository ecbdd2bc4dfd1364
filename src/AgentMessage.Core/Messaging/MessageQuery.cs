namespace AgentMessage.Core.Messaging;

/// <summary>Filters and paging of a message listing; every filter given must match. <see cref="From"/>
/// and <see cref="To"/> are exact E.164 numbers.</summary>
public sealed record MessageQuery(
    string? Tag,
    DeliveryStatus? Status,
    int PageSize,
    string? PageToken,
    MessageDirection? Direction = null,
    string? From = null,
    string? To = null)
{
    /// <summary>Whether <paramref name="message"/> passes every filter (paging aside).</summary>
    public bool Matches(Message message) =>
        (Tag is null || string.Equals(message.Tag, Tag, StringComparison.Ordinal)) &&
        (Status is null || message.Status == Status) &&
        (Direction is null || message.Direction == Direction) &&
        (From is null || string.Equals(message.From, From, StringComparison.Ordinal)) &&
        (To is null || string.Equals(message.To, To, StringComparison.Ordinal));
}

public sealed record MessagePage(IReadOnlyList<Message> Messages, string? NextPageToken);
