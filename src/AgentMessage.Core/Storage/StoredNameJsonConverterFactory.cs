using System.Text.Json;
using System.Text.Json.Serialization;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Storage;

/// <summary>
/// Stored JSON writes every enum of <see cref="StoredNames"/> by its stored name. An enum without a
/// map is refused rather than written by its C# name, so no stored format is defined by accident.
/// </summary>
public sealed class StoredNameJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) => typeToConvert switch
    {
        _ when typeToConvert == typeof(DeliveryStatus) => new StoredNameJsonConverter<DeliveryStatus>(StoredNames.DeliveryStatus),
        _ when typeToConvert == typeof(MessagePriority) => new StoredNameJsonConverter<MessagePriority>(StoredNames.MessagePriority),
        _ when typeToConvert == typeof(MessageDirection) => new StoredNameJsonConverter<MessageDirection>(StoredNames.MessageDirection),
        _ when typeToConvert == typeof(MessageChannel) => new StoredNameJsonConverter<MessageChannel>(StoredNames.MessageChannel),
        _ when typeToConvert == typeof(TextEncoding) => new StoredNameJsonConverter<TextEncoding>(StoredNames.TextEncoding),
        _ when typeToConvert == typeof(LineType) => new StoredNameJsonConverter<LineType>(StoredNames.LineType),
        _ when typeToConvert == typeof(RateLimitedOperation) => new StoredNameJsonConverter<RateLimitedOperation>(StoredNames.RateLimitedOperation),
        _ when typeToConvert == typeof(IdempotentOperation) => new StoredNameJsonConverter<IdempotentOperation>(StoredNames.IdempotentOperation),
        _ => throw new NotSupportedException($"{typeToConvert.Name} has no stored names (Storage.StoredNames)"),
    };
}
