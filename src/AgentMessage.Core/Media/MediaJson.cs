using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentMessage.Core.Media;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MediaUpload))]
[JsonSerializable(typeof(MediaRecord))]
internal sealed partial class MediaJsonContext : JsonSerializerContext;

public static class MediaJson
{
    public static string Serialize(MediaRecord media) => JsonSerializer.Serialize(media, MediaJsonContext.Default.MediaRecord);

    public static MediaRecord? Deserialize(string? json) => json is null ? null : JsonSerializer.Deserialize(json, MediaJsonContext.Default.MediaRecord);
}
