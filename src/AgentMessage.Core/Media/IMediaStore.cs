namespace AgentMessage.Core.Media;

/// <summary>The presigned request a client makes to upload: the URL and the headers it must carry.</summary>
public sealed record UploadSlot(Uri Url, IReadOnlyDictionary<string, string> Headers);

/// <summary>What the store holds for a media item: its content type and length.</summary>
public sealed record StoredObject(string? ContentType, long Length);

/// <summary>Where the media bytes live (AgentMessage:Media:Store). Domain code never sees the SDK.</summary>
public interface IMediaStore
{
    /// <summary>A single-use URL that accepts exactly the declared type and size until the upload expires.</summary>
    ValueTask<UploadSlot> CreateUploadSlotAsync(MediaRecord media, CancellationToken cancellationToken);

    /// <summary>The uploaded object, or null when nothing was uploaded.</summary>
    ValueTask<StoredObject?> InspectAsync(MediaRecord media, CancellationToken cancellationToken);

    /// <summary>A URL a carrier can fetch the item from, without credentials, until <paramref name="validity"/> passes.</summary>
    ValueTask<Uri> CreateFetchUrlAsync(MediaRecord media, TimeSpan validity, CancellationToken cancellationToken);
}
