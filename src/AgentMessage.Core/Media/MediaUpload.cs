using System.Text.Json;

namespace AgentMessage.Core.Media;

/// <summary>The answer of CreateMediaUpload, kept as the replay of an idempotent request.</summary>
public sealed record MediaUpload(string MediaId, string UploadUrl, DateTimeOffset ExpiresAt, long MaxByteSize, IReadOnlyDictionary<string, string> UploadHeaders)
{
    public string ToJson() => JsonSerializer.Serialize(this, MediaJsonContext.Default.MediaUpload);

    public static MediaUpload FromJson(string json) =>
        JsonSerializer.Deserialize(json, MediaJsonContext.Default.MediaUpload) ?? throw new JsonException("stored upload is null");
}
