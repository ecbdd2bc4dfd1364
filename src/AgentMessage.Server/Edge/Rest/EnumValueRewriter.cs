using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// One forward pass over a message's JSON that replaces the values of enum fields and copies every
/// other byte as it is: no document, no re-serialization. The message descriptors say which
/// properties hold enums, so free text that happens to spell an enum name is never touched. Unknown
/// properties and well-known types are skipped whole. Output is written lazily: until the first
/// replacement nothing is copied, so a body without enum values costs one read-only scan.
/// <para>
/// On requests the same pass checks each known field's JSON value against the protobuf JSON
/// mapping, so that transcoding never meets a value it cannot bind and a client learns which field
/// is wrong (<see cref="RequestFieldException"/>) rather than reading the deserializer's words.
/// A <c>null</c> field means the field is absent (proto3 JSON); for a list or a map, whose binder
/// cannot take <c>null</c>, it is written as the empty list or map. A <c>null</c> inside a list
/// or as a map's value is refused.
/// </para>
/// </summary>
internal ref struct EnumValueRewriter
{
    /// <summary>Longer than any name of ours: such a property name is looked up through a string,
    /// and such an enum value is an unknown name.</summary>
    private const int MaxNameChars = 64;

    private readonly ReadOnlySpan<byte> json;
    private readonly IBufferWriter<byte> output;
    private readonly bool incoming;
    private readonly bool captureRootId;
    private Utf8JsonReader reader;

    /// <summary>json[..copied] is accounted for: written to the output, or not needed there.</summary>
    private int copied;

    /// <param name="incoming">REST names to protobuf names and value checks (requests); else the reverse (responses).</param>
    /// <param name="captureRootId">Keep the top-level <c>id</c> string in <see cref="RootId"/>.</param>
    public EnumValueRewriter(ReadOnlySpan<byte> json, IBufferWriter<byte> output, bool incoming, bool captureRootId)
    {
        this.json = json;
        this.output = output;
        this.incoming = incoming;
        this.captureRootId = captureRootId;
        reader = new Utf8JsonReader(json);
    }

    /// <summary>True once anything differs from the input (and the output holds the copy so far).</summary>
    public bool Changed { get; private set; }

    public string? RootId { get; private set; }

    /// <summary>Rewrites the whole input, which holds one JSON value: a <paramref name="descriptor"/> message.</summary>
    /// <param name="copyUnchanged">Write the input to the output even when nothing had to change.</param>
    /// <returns>False when the value is not an object (then nothing is written to the output).</returns>
    /// <exception cref="JsonException">The input is not one JSON value.</exception>
    /// <exception cref="RequestFieldException">(Requests) a field's value does not fit the field.</exception>
    public bool Run(MessageDescriptor descriptor, bool copyUnchanged)
    {
        Next();
        var isObject = reader.TokenType == JsonTokenType.StartObject;
        if (!isObject)
        {
            reader.Skip();
        }
        else if (ProtoJsonEnums.IsWellKnown(descriptor))
        {
            reader.Skip();
        }
        else
        {
            RewriteObject(descriptor, parent: null);
        }

        if (reader.Read())
        {
            throw new JsonException("more than one JSON value");
        }

        if (!isObject)
        {
            return false;
        }

        if (Changed || copyUnchanged)
        {
            output.Write(json[copied..]);
        }

        return true;
    }

    /// <param name="parent">The path of the object, for problems in a nested message; null at the top.</param>
    private void RewriteObject(MessageDescriptor descriptor, string? parent)
    {
        while (Next() == JsonTokenType.PropertyName)
        {
            var field = FieldOf(descriptor);
            var isRootId = parent is null && captureRootId && reader.ValueTextEquals("id"u8);
            Next();
            if (isRootId && reader.TokenType == JsonTokenType.String)
            {
                RootId = reader.GetString();
            }

            if (field is null)
            {
                reader.Skip();
            }
            else if (!incoming)
            {
                RewriteOutgoing(field, parent);
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                // Absent, in proto3 JSON. Transcoding reads a null scalar or message that way, but
                // cannot assign null to a list or a map: those get the empty one instead.
                if (field.IsMap)
                {
                    Replace("{}"u8);
                }
                else if (field.IsRepeated)
                {
                    Replace("[]"u8);
                }
            }
            else if (field.IsMap)
            {
                RewriteMap(field, new Location(parent, field.JsonName));
            }
            else if (field.IsRepeated)
            {
                var location = new Location(parent, field.JsonName);
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw location.Problem("must be an array");
                }

                for (var index = 0; Next() != JsonTokenType.EndArray; index++)
                {
                    RewriteValue(field, location with { Index = index });
                }
            }
            else
            {
                RewriteValue(field, new Location(parent, field.JsonName));
            }
        }
    }

    /// <summary>Responses are transcoding's own output: enum values change, nothing is checked.</summary>
    private void RewriteOutgoing(FieldDescriptor field, string? parent)
    {
        if (field.IsMap)
        {
            reader.Skip();
        }
        else if (field.IsRepeated && reader.TokenType == JsonTokenType.StartArray)
        {
            while (Next() != JsonTokenType.EndArray)
            {
                RewriteOutgoingValue(field, parent);
            }
        }
        else
        {
            RewriteOutgoingValue(field, parent);
        }
    }

    private void RewriteOutgoingValue(FieldDescriptor field, string? parent)
    {
        if (field.FieldType == FieldType.Enum && reader.TokenType == JsonTokenType.String)
        {
            RewriteEnum(ProtoJsonEnums.NamesOf(field.EnumType));
        }
        else if (field.FieldType == FieldType.Message && reader.TokenType == JsonTokenType.StartObject && !ProtoJsonEnums.IsWellKnown(field.MessageType))
        {
            RewriteObject(field.MessageType, parent ?? string.Empty);
        }
        else
        {
            reader.Skip();
        }
    }

    private void RewriteMap(FieldDescriptor field, Location location)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw location.Problem("must be an object");
        }

        var value = field.MessageType.FindFieldByNumber(2);
        while (Next() == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            Next();
            RewriteValue(value, location with { Key = key });
        }
    }

    /// <summary>A request's single value: a field's, a list's item or a map's value.</summary>
    private void RewriteValue(FieldDescriptor field, Location location)
    {
        if (!Fits(field))
        {
            throw location.Problem(Expected(field));
        }

        if (field.FieldType == FieldType.Enum && reader.TokenType == JsonTokenType.String)
        {
            RewriteEnum(ProtoJsonEnums.NamesOf(field.EnumType));
        }
        else if (field.FieldType == FieldType.Message && !ProtoJsonEnums.IsWellKnown(field.MessageType))
        {
            RewriteObject(field.MessageType, location.ToString());
        }
        else
        {
            reader.Skip();
        }
    }

    /// <summary>Whether the current value is one the protobuf JSON mapping, as transcoding reads
    /// it, gives the field (a list's or map's single item).</summary>
    private bool Fits(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String or FieldType.Bytes => reader.TokenType == JsonTokenType.String,
        FieldType.Bool => reader.TokenType is JsonTokenType.True or JsonTokenType.False,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out _),
        FieldType.UInt32 or FieldType.Fixed32 => reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out _),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetInt64(out _),
            JsonTokenType.String => long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => false,
        },
        FieldType.UInt64 or FieldType.Fixed64 => reader.TokenType switch
        {
            JsonTokenType.Number => reader.TryGetUInt64(out _),
            JsonTokenType.String => ulong.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out _),
            _ => false,
        },
        // Transcoding reads a string here only when it names one of the three special values.
        FieldType.Float or FieldType.Double => reader.TokenType == JsonTokenType.Number ||
            (reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("NaN"u8) || reader.ValueTextEquals("Infinity"u8) || reader.ValueTextEquals("-Infinity"u8))),
        FieldType.Enum => reader.TokenType == JsonTokenType.String || (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out _)),
        FieldType.Message => FitsMessage(field.MessageType),
        _ => false,
    };

    private bool FitsMessage(MessageDescriptor message) => message.FullName switch
    {
        "google.protobuf.Value" => true,
        "google.protobuf.ListValue" => reader.TokenType == JsonTokenType.StartArray,
        "google.protobuf.Timestamp" => reader.TokenType == JsonTokenType.String && Parses<Google.Protobuf.WellKnownTypes.Timestamp>(),
        "google.protobuf.Duration" => reader.TokenType == JsonTokenType.String && Parses<Google.Protobuf.WellKnownTypes.Duration>(),
        "google.protobuf.FieldMask" => reader.TokenType == JsonTokenType.String,
        _ when IsWrapper(message) => Fits(message.FindFieldByNumber(1)),
        _ => reader.TokenType == JsonTokenType.StartObject,
    };

    /// <summary>Whether the current string is the JSON form of the well-known type, as protobuf reads it.</summary>
    private bool Parses<T>()
        where T : IMessage<T>, new()
    {
        try
        {
            // The string token as written, quotes and escapes included, is the JSON protobuf reads.
            var start = (int)reader.TokenStartIndex;
            JsonParser.Default.Parse<T>(System.Text.Encoding.UTF8.GetString(json.Slice(start, reader.ValueSpan.Length + 2)));
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
        catch (InvalidJsonException)
        {
            return false;
        }
    }

    private static string Expected(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String or FieldType.Bytes => "must be a string",
        FieldType.Bool => "must be true or false",
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => "must be a 32-bit integer",
        FieldType.UInt32 or FieldType.Fixed32 => "must be a non-negative 32-bit integer",
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => "must be a 64-bit integer",
        FieldType.UInt64 or FieldType.Fixed64 => "must be a non-negative 64-bit integer",
        FieldType.Float or FieldType.Double => "must be a number",
        FieldType.Enum => "must be one of: " + string.Join(", ", ProtoJsonEnums.RestNames(field.EnumType)),
        FieldType.Message => field.MessageType.FullName switch
        {
            "google.protobuf.ListValue" => "must be an array",
            "google.protobuf.Timestamp" => "must be an RFC 3339 timestamp",
            "google.protobuf.Duration" => "must be a duration in seconds, such as \"1.5s\"",
            "google.protobuf.FieldMask" => "must be a string",
            _ when IsWrapper(field.MessageType) => Expected(field.MessageType.FindFieldByNumber(1)),
            _ => "must be an object",
        },
        _ => "has a value of the wrong type",
    };

    private static bool IsWrapper(MessageDescriptor message) =>
        message.File.Package == "google.protobuf" && message.Name.EndsWith("Value", StringComparison.Ordinal) &&
        message.Fields.InDeclarationOrder() is [{ Name: "value" }];

    private void RewriteEnum(ProtoJsonEnums.EnumNames names)
    {
        var start = (int)reader.TokenStartIndex;
        var end = start + reader.ValueSpan.Length + 2;
        Span<char> name = stackalloc char[MaxNameChars];
        var length = reader.ValueSpan.Length <= MaxNameChars ? reader.CopyString(name) : -1;
        var target = length < 0 ? null
            : incoming ? (names.IncomingBySpan.TryGetValue(name[..length], out var full) ? full : null)
            : (names.OutgoingBySpan.TryGetValue(name[..length], out var rest) ? rest : null);

        if (target is not null)
        {
            var quoted = names.Quoted[target];
            if (reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual(quoted.AsSpan(1, quoted.Length - 2)))
            {
                Replace(start, end, quoted);
            }
        }
        else if (incoming)
        {
            // Unknown names reach the service as a number no enum defines, for its validation to
            // report against the field (transcoding itself would refuse the body naming no field).
            Replace(start, end, "-1"u8);
        }
    }

    /// <summary>The field the current property names.</summary>
    private FieldDescriptor? FieldOf(MessageDescriptor descriptor)
    {
        if (reader.ValueSpan.Length > MaxNameChars)
        {
            return ProtoJsonEnums.FindField(descriptor, reader.GetString()!);
        }

        Span<char> chars = stackalloc char[MaxNameChars];
        return ProtoJsonEnums.FindField(descriptor, chars[..reader.CopyString(chars)]);
    }

    /// <summary>Replaces the current value, a literal, with <paramref name="replacement"/>.</summary>
    private void Replace(ReadOnlySpan<byte> replacement)
    {
        var start = (int)reader.TokenStartIndex;
        Replace(start, start + reader.ValueSpan.Length, replacement);
    }

    private void Replace(int start, int end, ReadOnlySpan<byte> replacement)
    {
        output.Write(json[copied..start]);
        output.Write(replacement);
        copied = end;
        Changed = true;
    }

    private JsonTokenType Next() =>
        reader.Read() ? reader.TokenType : throw new JsonException("unexpected end of JSON");

    /// <summary>Where a value sits in the request, spelled as the field paths of
    /// <c>VALIDATION_FAILED</c> details are: <c>media[1]</c>, <c>send_rate_limit.burst</c>. Built
    /// into a string only for a problem or a nested message.</summary>
    private readonly record struct Location(string? Parent, string Name)
    {
        public int Index { get; init; } = -1;

        public string? Key { get; init; }

        public RequestFieldException Problem(string problem) => new(ToString(), problem);

        public override string ToString()
        {
            var path = string.IsNullOrEmpty(Parent) ? Name : $"{Parent}.{Name}";
            return Index >= 0 ? $"{path}[{Index.ToString(CultureInfo.InvariantCulture)}]"
                : Key is not null ? $"{path}.{Key}"
                : path;
        }
    }
}

/// <summary>A request body whose JSON is well formed but gives a field a value it cannot hold
/// (the wrong JSON type, a number out of range, <c>null</c> inside a list).</summary>
public sealed class RequestFieldException(string field, string problem) : Exception($"{field} {problem}")
{
    /// <summary>The field's path, e.g. <c>media[0]</c>.</summary>
    public string Field { get; } = field;

    /// <summary>What is wrong, e.g. <c>must be a string</c>.</summary>
    public string Problem { get; } = problem;
}
