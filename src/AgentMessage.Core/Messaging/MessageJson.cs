using System.Text.Json;
using System.Text.Json.Serialization;
using AgentMessage.Core.Storage;

namespace AgentMessage.Core.Messaging;

/// <summary>The stored form of a message: in Redis, and as the replayable response of an idempotent send.</summary>
public static class MessageJson
{
    public static string Serialize(Message message) => JsonSerializer.Serialize(message, MessageJsonContext.Default.Message);

    /// <summary>The same JSON as <see cref="Serialize"/>, as UTF-8 bytes: what a store writes, without a string in between.</summary>
    public static byte[] SerializeToUtf8Bytes(Message message) => JsonSerializer.SerializeToUtf8Bytes(message, MessageJsonContext.Default.Message);

    public static Message Deserialize(string json) =>
        JsonSerializer.Deserialize(json, MessageJsonContext.Default.Message) ?? throw new JsonException("stored message is null");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, Converters = [typeof(StoredNameJsonConverterFactory)])]
[JsonSerializable(typeof(Message))]
internal sealed partial class MessageJsonContext : JsonSerializerContext;
