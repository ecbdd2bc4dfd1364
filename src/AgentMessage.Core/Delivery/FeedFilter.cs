namespace AgentMessage.Core.Delivery;

/// <summary>What a subscription wants: events of these messages, else of this tag, else all.</summary>
public sealed record FeedFilter(IReadOnlyCollection<string> MessageIds, string? Tag)
{
    public static readonly FeedFilter All = new([], null);
}
