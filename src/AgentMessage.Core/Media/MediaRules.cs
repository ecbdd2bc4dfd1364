using System.Collections.Frozen;

namespace AgentMessage.Core.Media;

/// <summary>The media rules of docs/API.md section 8.</summary>
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
