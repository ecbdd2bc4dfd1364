using System.Collections.Concurrent;
using AgentMessage.Core.Media;

namespace AgentMessage.Server.Infrastructure.InMemory.Media;

public sealed class InMemoryMediaCatalog(TimeProvider time) : IMediaCatalog
{
    private readonly ConcurrentDictionary<(string, string), MediaRecord> records = new();

    public ValueTask PutAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        records[(media.OrganizationId, media.Id)] = media;
        return ValueTask.CompletedTask;
    }

    public ValueTask<MediaRecord?> GetAsync(string organizationId, string mediaId, CancellationToken cancellationToken)
    {
        if (records.TryGetValue((organizationId, mediaId), out var media) && media.ExpiresAt <= time.GetUtcNow())
        {
            records.TryRemove((organizationId, mediaId), out _);
            media = null;
        }

        return ValueTask.FromResult(media);
    }
}
