namespace AgentMessage.Core.Messaging;

/// <summary>Filters and paging of a message listing.</summary>
public sealed record MessageQuery(string? Tag, DeliveryStatus? Status, int PageSize, string? PageToken);

public sealed record MessagePage(IReadOnlyList<Message> Messages, string? NextPageToken);
