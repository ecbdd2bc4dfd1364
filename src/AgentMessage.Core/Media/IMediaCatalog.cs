namespace AgentMessage.Core.Media;

/// <summary>Media records of every organization, kept until they expire.</summary>
public interface IMediaCatalog
{
    ValueTask PutAsync(MediaRecord media, CancellationToken cancellationToken);

    /// <summary>The record, or null when it is unknown, another organization's, or expired.</summary>
    ValueTask<MediaRecord?> GetAsync(string organizationId, string mediaId, CancellationToken cancellationToken);
}
