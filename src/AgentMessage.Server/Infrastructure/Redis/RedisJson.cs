using System.Text.Json;
using System.Text.Json.Serialization;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.Storage;

namespace AgentMessage.Server.Infrastructure.Redis;

/// <summary>How records other than messages are stored in Redis (messages: Messaging.MessageJson).</summary>
public static class RedisJson
{
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, typeof(T), RedisJsonContext.Default);

    public static T? Deserialize<T>(string? json)
        where T : class =>
        json is null ? null : (T?)JsonSerializer.Deserialize(json, typeof(T), RedisJsonContext.Default);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, Converters = [typeof(StoredNameJsonConverterFactory)])]
[JsonSerializable(typeof(Organization))]
[JsonSerializable(typeof(ApiKeyRecord))]
[JsonSerializable(typeof(ConsentRecord))]
[JsonSerializable(typeof(LineTypeLookup))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
