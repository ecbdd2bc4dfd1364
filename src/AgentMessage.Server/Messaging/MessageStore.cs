using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using AgentMessage.Server.Errors;

namespace AgentMessage.Server.Messaging;

/// <summary>Reading messages. Messages are written by <see cref="ISendAdmission"/>, together with
/// the rate-limit token and idempotency key of their send.</summary>
public interface IMessageStore
{
    ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken);

    /// <summary>Newest first. Throws VALIDATION_FAILED on <c>page_token</c> when the token is not one this store issued.</summary>
    ValueTask<MessagePage> ListAsync(string organizationId, MessageQuery query, CancellationToken cancellationToken);
}

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

    public ValueTask<Message?> GetAsync(string organizationId, string id, CancellationToken cancellationToken)
    {
        if (!shelves.TryGetValue(organizationId, out var shelf))
        {
            return ValueTask.FromResult<Message?>(null);
        }

        lock (shelf)
        {
            return ValueTask.FromResult(shelf.ById.GetValueOrDefault(id));
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
                    if (!Matches(message, query))
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

    private static bool Matches(Message message, MessageQuery query) =>
        (query.Tag is null || string.Equals(message.Tag, query.Tag, StringComparison.Ordinal)) &&
        (query.Status is null || message.Status == query.Status);

    private sealed class Shelf
    {
        public List<string> Ordered { get; } = [];

        public Dictionary<string, Message> ById { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Opaque page tokens: a position, versioned and base64url-encoded so clients do not build them.</summary>
public static class PageToken
{
    private const string Version = "v1:";

    public static string Encode(long position) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Version + position));

    public static long Decode(string token)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            if (text.StartsWith(Version, StringComparison.Ordinal) && long.TryParse(text.AsSpan(Version.Length), out var position) && position >= 0)
            {
                return position;
            }
        }
        catch (FormatException)
        {
        }

        throw ApiException.Validation("page_token", "is not a token from a previous page");
    }
}
