using System.Buffers;
using System.Text.Json;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// One forward pass over a message's JSON that replaces the values of enum fields and copies every
/// other byte as it is: no document, no re-serialization. The message descriptors say which
/// properties hold enums, so free text that happens to spell an enum name is never touched. Unknown
/// properties, maps and well-known types are skipped whole. Output is written lazily: until the
/// first replacement nothing is copied, so a body without enum values costs one read-only scan.
/// </summary>
internal ref struct EnumValueRewriter
{
    /// <summary>Longer than any name of ours: such a property name is looked up through a string,
    /// and such an enum value is an unknown name.</summary>
    private const int MaxNameChars = 64;

    private readonly ReadOnlySpan<byte> json;
    private readonly IBufferWriter<byte> output;
    private readonly bool incoming;
    private readonly bool canonicalStrings;
    private readonly bool captureRootId;
    private Utf8JsonReader reader;
    private Utf8JsonWriter? stringWriter;

    /// <summary>json[..copied] is accounted for: written to the output, or not needed there.</summary>
    private int copied;

    /// <param name="incoming">REST names to protobuf names (requests); else the reverse (responses).</param>
    /// <param name="canonicalStrings">Re-encode every string instead of copying it (requests whose strings
    /// are not all well-formed), as a document written back with <see cref="RestEnvelope.WriterOptions"/> has them.</param>
    /// <param name="captureRootId">Keep the top-level <c>id</c> string in <see cref="RootId"/>.</param>
    public EnumValueRewriter(ReadOnlySpan<byte> json, IBufferWriter<byte> output, bool incoming, bool canonicalStrings, bool captureRootId)
    {
        this.json = json;
        this.output = output;
        this.incoming = incoming;
        this.canonicalStrings = canonicalStrings;
        this.captureRootId = captureRootId;
        reader = new Utf8JsonReader(json);
    }

    /// <summary>True once anything differs from the input (and the output holds the copy so far).</summary>
    public bool Changed { get; private set; }

    public string? RootId { get; private set; }

    /// <summary>Rewrites the whole input, which holds one JSON value: a <paramref name="descriptor"/> message.</summary>
    /// <param name="copyUnchanged">Write the input to the output even when nothing had to change.</param>
    /// <returns>False when the value is not an object (then nothing is written to the output).</returns>
    public bool Run(MessageDescriptor descriptor, bool copyUnchanged)
    {
        try
        {
            Next();
            var isObject = reader.TokenType == JsonTokenType.StartObject;
            if (!isObject)
            {
                reader.Skip();
            }
            else if (ProtoJsonEnums.IsWellKnown(descriptor))
            {
                CopyValue();
            }
            else
            {
                RewriteObject(descriptor, root: true);
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
        finally
        {
            stringWriter?.Dispose();
        }
    }

    private void RewriteObject(MessageDescriptor descriptor, bool root)
    {
        while (Next() == JsonTokenType.PropertyName)
        {
            var field = FieldOf(descriptor);
            var isRootId = root && captureRootId && reader.ValueTextEquals("id"u8);
            Next();
            if (isRootId && reader.TokenType == JsonTokenType.String)
            {
                RootId = reader.GetString();
            }

            if (field is null || field.IsMap)
            {
                CopyValue();
            }
            else if (field.IsRepeated && reader.TokenType == JsonTokenType.StartArray)
            {
                while (Next() != JsonTokenType.EndArray)
                {
                    RewriteValue(field);
                }
            }
            else
            {
                RewriteValue(field);
            }
        }
    }

    private void RewriteValue(FieldDescriptor field)
    {
        if (field.FieldType == FieldType.Enum && reader.TokenType == JsonTokenType.String)
        {
            RewriteEnum(ProtoJsonEnums.NamesOf(field.EnumType));
        }
        else if (field.FieldType == FieldType.Message && reader.TokenType == JsonTokenType.StartObject && !ProtoJsonEnums.IsWellKnown(field.MessageType))
        {
            RewriteObject(field.MessageType, root: false);
        }
        else
        {
            CopyValue();
        }
    }

    private void RewriteEnum(ProtoJsonEnums.EnumNames names)
    {
        var start = (int)reader.TokenStartIndex;
        var end = start + reader.ValueSpan.Length + 2;
        string? target;
        if (canonicalStrings)
        {
            var name = reader.GetString()!;
            target = incoming ? names.Incoming.GetValueOrDefault(name) : names.Outgoing.GetValueOrDefault(name);
        }
        else
        {
            Span<char> name = stackalloc char[MaxNameChars];
            var length = reader.ValueSpan.Length <= MaxNameChars ? reader.CopyString(name) : -1;
            target = length < 0 ? null
                : incoming ? (names.IncomingBySpan.TryGetValue(name[..length], out var full) ? full : null)
                : (names.OutgoingBySpan.TryGetValue(name[..length], out var rest) ? rest : null);
        }

        if (target is not null)
        {
            var quoted = names.Quoted[target];
            if (canonicalStrings || reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual(quoted.AsSpan(1, quoted.Length - 2)))
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

    /// <summary>The field the current property names; in canonical mode the name is re-encoded too.</summary>
    private FieldDescriptor? FieldOf(MessageDescriptor descriptor)
    {
        if (canonicalStrings)
        {
            var name = reader.GetString()!;
            WriteCanonical(name);
            return ProtoJsonEnums.FindField(descriptor, name);
        }

        if (reader.ValueSpan.Length > MaxNameChars)
        {
            return ProtoJsonEnums.FindField(descriptor, reader.GetString()!);
        }

        Span<char> chars = stackalloc char[MaxNameChars];
        return ProtoJsonEnums.FindField(descriptor, chars[..reader.CopyString(chars)]);
    }

    /// <summary>Passes the current value (and everything inside it) through unchanged.</summary>
    private void CopyValue()
    {
        if (!canonicalStrings)
        {
            reader.Skip();
            return;
        }

        if (reader.TokenType is JsonTokenType.String or JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            // What a document writes back is the re-encoding the facade has always applied.
            var writer = BeginCanonical();
            using var value = JsonDocument.ParseValue(ref reader);
            value.RootElement.WriteTo(writer);
            EndCanonical(writer, (int)reader.BytesConsumed);
        }
    }

    /// <summary>Replaces the current property name by its re-encoding.</summary>
    private void WriteCanonical(string value)
    {
        var writer = BeginCanonical();
        writer.WriteStringValue(value);
        EndCanonical(writer, (int)reader.TokenStartIndex + reader.ValueSpan.Length + 2);
    }

    private Utf8JsonWriter BeginCanonical()
    {
        output.Write(json[copied..(int)reader.TokenStartIndex]);
        return stringWriter ??= new Utf8JsonWriter(output, RestEnvelope.WriterOptions with { SkipValidation = true });
    }

    /// <summary>Accounts for the input up to <paramref name="end"/>, now re-encoded.</summary>
    private void EndCanonical(Utf8JsonWriter writer, int end)
    {
        // Each value is written alone, so the writer never adds a separator of its own.
        writer.Flush();
        writer.Reset();
        copied = end;
        Changed = true;
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
}
