using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Rest;

/// <summary>
/// Lower-case enumeration values on the REST face. Protobuf JSON names an enum value in full
/// (<c>MESSAGE_STATUS_QUEUED</c>); our REST contract names it by the part after the enum's own
/// prefix, in lower case (<c>queued</c>). Both directions are driven by the message descriptors,
/// so every enum field of every RPC follows the rule without a line of per-field code.
/// </summary>
public static class ProtoJsonEnums
{
    /// <summary>What an unknown incoming name becomes: a number no enum defines, which the
    /// domain's validation then reports against the field, after authentication.</summary>
    public const int UndefinedValue = -1;

    private static readonly ConcurrentDictionary<MessageDescriptor, FrozenDictionary<string, FieldDescriptor>> FieldsByJsonName = new();
    private static readonly ConcurrentDictionary<EnumDescriptor, EnumNames> Names = new();

    /// <summary>Copies a response message, writing enum values in their REST form.</summary>
    public static void WriteOutgoing(JsonElement element, MessageDescriptor descriptor, Utf8JsonWriter writer) =>
        Walk(element, descriptor, writer, outgoing: true);

    /// <summary>Copies a request message, turning REST enum names into protobuf JSON names.</summary>
    public static void WriteIncoming(JsonElement element, MessageDescriptor descriptor, Utf8JsonWriter writer) =>
        Walk(element, descriptor, writer, outgoing: false);

    /// <summary>The protobuf JSON form of one incoming REST enum value (query strings).</summary>
    public static string ToProtoName(EnumDescriptor enumType, string restName) =>
        NamesOf(enumType).Incoming.TryGetValue(restName, out var full) ? full
            : int.TryParse(restName, out _) ? restName
            : UndefinedValue.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The names a client may send for an enum, for error messages.</summary>
    public static IEnumerable<string> RestNames(EnumDescriptor enumType) =>
        enumType.Values.Select(v => NamesOf(enumType).Outgoing[v.Name]).Where(n => n != "unspecified");

    /// <summary>The REST form of an enum value, e.g. "queued" for MESSAGE_STATUS_QUEUED.</summary>
    public static string ToRestName(EnumValueDescriptor value) => NamesOf(value.EnumDescriptor).Outgoing[value.Name];

    /// <summary>The field a JSON property or query parameter names, by JSON name or proto name.</summary>
    public static FieldDescriptor? FindField(MessageDescriptor descriptor, string name) =>
        FieldsByJsonName.GetOrAdd(descriptor, static d => d.Fields.InDeclarationOrder()
                .SelectMany(f => new[] { (f.JsonName, f), (f.Name, f) })
                .DistinctBy(p => p.Item1)
                .ToFrozenDictionary(p => p.Item1, p => p.f, StringComparer.Ordinal))
            .GetValueOrDefault(name);

    private static void Walk(JsonElement element, MessageDescriptor descriptor, Utf8JsonWriter writer, bool outgoing)
    {
        if (element.ValueKind != JsonValueKind.Object || IsWellKnown(descriptor))
        {
            element.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var property in element.EnumerateObject())
        {
            writer.WritePropertyName(property.Name);
            var field = FindField(descriptor, property.Name);
            if (field is null || field.IsMap)
            {
                property.Value.WriteTo(writer);
            }
            else if (field.IsRepeated && property.Value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray();
                foreach (var item in property.Value.EnumerateArray())
                {
                    WriteValue(item, field, writer, outgoing);
                }

                writer.WriteEndArray();
            }
            else
            {
                WriteValue(property.Value, field, writer, outgoing);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(JsonElement value, FieldDescriptor field, Utf8JsonWriter writer, bool outgoing)
    {
        switch (field.FieldType)
        {
            case FieldType.Enum when value.ValueKind == JsonValueKind.String:
                var names = NamesOf(field.EnumType);
                var name = value.GetString()!;
                if (outgoing)
                {
                    writer.WriteStringValue(names.Outgoing.GetValueOrDefault(name, name));
                }
                else if (names.Incoming.TryGetValue(name, out var full))
                {
                    writer.WriteStringValue(full);
                }
                else
                {
                    writer.WriteNumberValue(UndefinedValue);
                }

                break;
            case FieldType.Message:
                Walk(value, field.MessageType, writer, outgoing);
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static bool IsWellKnown(MessageDescriptor descriptor) => descriptor.File.Package == "google.protobuf";

    private static EnumNames NamesOf(EnumDescriptor enumType) => Names.GetOrAdd(enumType, static e => new EnumNames(e));

    private sealed class EnumNames
    {
        public EnumNames(EnumDescriptor enumType)
        {
            var prefix = UpperSnake(enumType.Name) + "_";
            var pairs = enumType.Values.Select(v => (Full: v.Name, Short: (v.Name.StartsWith(prefix, StringComparison.Ordinal) ? v.Name[prefix.Length..] : v.Name).ToLowerInvariant())).ToList();
            Outgoing = pairs.ToFrozenDictionary(p => p.Full, p => p.Short, StringComparer.Ordinal);

            // Incoming, the documented lower-case name is the contract; the full protobuf name is
            // also understood so that a body copied from grpcurl output still works. "unspecified"
            // is not a value a client may choose.
            Incoming = pairs.Where(p => p.Short != "unspecified")
                .SelectMany(p => new[] { (Key: p.Short, p.Full), (Key: p.Full, p.Full) })
                .DistinctBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
                .ToFrozenDictionary(p => p.Key, p => p.Full, StringComparer.OrdinalIgnoreCase);
        }

        public FrozenDictionary<string, string> Outgoing { get; }

        public FrozenDictionary<string, string> Incoming { get; }

        private static string UpperSnake(string pascal)
        {
            var builder = new StringBuilder(pascal.Length + 4);
            for (var i = 0; i < pascal.Length; i++)
            {
                if (i > 0 && char.IsUpper(pascal[i]) && !char.IsUpper(pascal[i - 1]))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToUpperInvariant(pascal[i]));
            }

            return builder.ToString();
        }
    }
}
