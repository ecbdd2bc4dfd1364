using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentMessage.Core.Storage;

/// <summary>Writes and reads an enum in stored JSON by its <see cref="StoredNames"/> name.</summary>
public sealed class StoredNameJsonConverter<TEnum>(StoredNameMap<TEnum> map) : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && map.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException($"not a stored {typeof(TEnum).Name}");

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(map.ToStored(value));
}
