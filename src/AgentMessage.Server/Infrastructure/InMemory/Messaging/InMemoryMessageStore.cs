using System.Collections.Concurrent;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Infrastructure.InMemory.Messaging;

/// <summary>
/// Messages held in this process. Each organization's messages sit in arrival order with a sequence
/// number, and page tokens carry the sequence number to continue below, so pages stay stable while
/// new messages arrive.
/// </summary>
public sealed class InMemoryMessageStore : IMessageStore
{
    private readonly ConcurrentDictionary<string, Shelf> shelves = new(StringComparer.Ordinal);

    public void Add(Message message)
    {
        var shelf = shelves.GetOrAdd(message.OrganizationId, _ => new Shelf());
        lock (shelf)
        {
            shelf.Ordered.Add(message.Id);
            shelf.ById[message.Id] = message;
        }
    }

    /// <summary>Replaces a message with what <paramref name="change"/> makes of it; null from it leaves the message as is.</summary>
    public Message? Update(string organizationId, string id, Func<Message, Message?> change)
    {
        if (!shelves.TryGetValue(organizationId, out var shelf))
        {
            return null;
        }

        lock (shelf)
        {
            if (!shelf.ById.TryGetValue(id, out var current) || change(current) is not { } changed)
            {
                return null;
            }

            shelf.ById[id] = changed;
            return changed;
        }
    }

    public ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Find(organizationId, id));

    /// <summary>The message, or null.</summary>
    public Message? Find(string organizationId, string id)
    {
        if (!shelves.TryGetValue(organizationId, out var shelf))
        {
            return null;
        }

        lock (shelf)
        {
            return shelf.ById.GetValueOrDefault(id);
        }
    }

    public ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken)
    {
        var below = query.PageToken is { Length: > 0 } token ? PageToken.Decode(token) : long.MaxValue;
        var page = new List<Message>(query.PageSize);
        string? next = null;
        if (shelves.TryGetValue(organizationId, out var shelf))
        {
            lock (shelf)
            {
                for (var i = (int)Math.Min(below, shelf.Ordered.Count) - 1; i >= 0; i--)
                {
                    var message = shelf.ById[shelf.Ordered[i]];
                    if (!query.Matches(message))
                    {
                        continue;
                    }

                    if (page.Count == query.PageSize)
                    {
                        next = PageToken.Encode(i + 1);
                        break;
                    }

                    page.Add(message);
                }
            }
        }

        return ValueTask.FromResult(new MessagePage(page, next));
    }

    private sealed class Shelf
    {
        public List<string> Ordered { get; } = [];

        public Dictionary<string, Message> ById { get; } = new(StringComparer.Ordinal);
    }
}
