using AgentMessage.Core.Media;

namespace AgentMessage.Server.Infrastructure.Redis.Media;

/// <summary>Media records, each expiring in Redis when the media does.</summary>
public sealed class RedisMediaCatalog(RedisGate redis, TimeProvider time) : IMediaCatalog
{
    public async ValueTask PutAsync(MediaRecord media, CancellationToken cancellationToken)
    {
        var ttl = media.ExpiresAt - time.GetUtcNow();
        await redis.RunAsync(db => db.StringSetAsync(RedisKeys.Media(media.OrganizationId, media.Id), MediaJson.Serialize(media), ttl));
    }

    public async ValueTask<MediaRecord?> GetAsync(string organizationId, string mediaId, CancellationToken cancellationToken) =>
        MediaJson.Deserialize(await redis.RunAsync(db => db.StringGetAsync(RedisKeys.Media(organizationId, mediaId))));
}
