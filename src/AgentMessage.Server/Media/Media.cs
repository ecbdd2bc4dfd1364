using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentMessage.Server.Media;

/// <summary>The media rules of CONTRACT.md section 8.</summary>
public static class MediaRules
{
    public const long MaxByteSize = 1024 * 1024;

    public static readonly TimeSpan UploadUrlValidity = TimeSpan.FromMinutes(30);

    public static readonly FrozenSet<string> MimeTypes = new[]
    {
        "image/jpeg", "image/png", "image/gif", "video/mp4", "video/3gpp", "audio/mpeg", "audio/ogg", "application/pdf", "text/vcard",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static string? MimeTypeProblem(string mimeType) =>
        MimeTypes.Contains(mimeType) ? null : "must be one of: " + string.Join(", ", MimeTypes.Order(StringComparer.Ordinal));

    public static string? ByteSizeProblem(long byteSize) =>
        byteSize is >= 1 and <= MaxByteSize ? null : $"must be 1..{MaxByteSize}";
}

/// <summary>An upload slot and, once the file is there, the media a send may reference.</summary>
public sealed record MediaRecord(
    string Id,
    string OrganizationId,
    string MimeType,
    long ByteSize,
    DateTimeOffset CreatedAt,
    DateTimeOffset UploadExpiresAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>Where the object lives in the store: one prefix per organization.</summary>
    public string ObjectKey => $"uploads/{OrganizationId}/{Id}";
}

/// <summary>The answer of CreateMediaUpload, kept as the replay of an idempotent request.</summary>
public sealed record MediaUpload(string MediaId, string UploadUrl, DateTimeOffset ExpiresAt, long MaxByteSize, IReadOnlyDictionary<string, string> UploadHeaders)
{
    public string ToJson() => JsonSerializer.Serialize(this, MediaJsonContext.Default.MediaUpload);

    public static MediaUpload FromJson(string json) =>
        JsonSerializer.Deserialize(json, MediaJsonContext.Default.MediaUpload) ?? throw new JsonException("stored upload is null");
}

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

/// <summary>Media records of every organization, kept until they expire.</summary>
public interface IMediaCatalog
{
    ValueTask PutAsync(MediaRecord media, CancellationToken cancellationToken);

    /// <summary>The record, or null when it is unknown, another organization's, or expired.</summary>
    ValueTask<MediaRecord?> GetAsync(string organizationId, string mediaId, CancellationToken cancellationToken);
}

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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MediaUpload))]
[JsonSerializable(typeof(MediaRecord))]
internal sealed partial class MediaJsonContext : JsonSerializerContext;

public static class MediaJson
{
    public static string Serialize(MediaRecord media) => JsonSerializer.Serialize(media, MediaJsonContext.Default.MediaRecord);

    public static MediaRecord? Deserialize(string? json) => json is null ? null : JsonSerializer.Deserialize(json, MediaJsonContext.Default.MediaRecord);
}
