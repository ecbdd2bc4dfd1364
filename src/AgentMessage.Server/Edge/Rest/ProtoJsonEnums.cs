using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.Rest;

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

    private static readonly ConcurrentDictionary<MessageDescriptor, FieldTable> FieldsByJsonName = new();
    private static readonly ConcurrentDictionary<EnumDescriptor, EnumNames> Names = new();

    /// <summary>What <see cref="RewriteIncoming"/> found.</summary>
    public enum IncomingBody
    {
        /// <summary>Valid JSON, but not an object.</summary>
        NotAnObject,

        /// <summary>Bytes that are not UTF-8 (a stray 0xFF, an overlong form, an encoded surrogate):
        /// there is no text to read, so nothing is read with replacement characters.</summary>
        NotUtf8,

        /// <summary>Nothing to rewrite: the body can be passed on as it is, and nothing was written.</summary>
        Unchanged,

        /// <summary>The whole rewritten body was written to the output.</summary>
        Rewritten,
    }

    /// <summary>
    /// Copies a response message's JSON (as transcoding wrote it) to <paramref name="output"/> with
    /// enum values in their REST form; every other byte is copied as it is.
    /// </summary>
    /// <returns>The top-level <c>id</c> string when <paramref name="captureRootId"/> asks for it.</returns>
    /// <exception cref="JsonException">The input is not one JSON value.</exception>
    public static string? WriteOutgoing(ReadOnlySpan<byte> json, MessageDescriptor descriptor, IBufferWriter<byte> output, bool captureRootId = false)
    {
        var rewriter = new EnumValueRewriter(json, output, incoming: false, captureRootId);
        rewriter.Run(descriptor, copyUnchanged: true);
        return rewriter.RootId;
    }

    /// <summary>
    /// Checks a request body and turns REST enum names in it into protobuf JSON names; an unknown
    /// name becomes <see cref="UndefinedValue"/>. A body that needs no change is not copied. Each
    /// known field's value must be one the protobuf JSON mapping allows it; a null list or map is
    /// written as an empty one (see <see cref="EnumValueRewriter"/>).
    /// </summary>
    /// <exception cref="JsonException">The body is not one JSON value, or a string in it holds
    /// half of a surrogate pair (<c>"\ud800"</c>: no text, RFC 8259 section 8.2).</exception>
    /// <exception cref="RequestFieldException">A field's value does not fit the field.</exception>
    public static IncomingBody RewriteIncoming(ReadOnlySpan<byte> json, MessageDescriptor descriptor, IBufferWriter<byte> output)
    {
        if (!Utf8.IsValid(json))
        {
            return IncomingBody.NotUtf8;
        }

        if (JsonText.HasUnpairedSurrogateEscape(json))
        {
            throw new JsonException("a string has an unpaired surrogate escape");
        }

        var rewriter = new EnumValueRewriter(json, output, incoming: true, captureRootId: false);
        return rewriter.Run(descriptor, copyUnchanged: false) switch
        {
            false => IncomingBody.NotAnObject,
            true when rewriter.Changed => IncomingBody.Rewritten,
            true => IncomingBody.Unchanged,
        };
    }

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
    public static FieldDescriptor? FindField(MessageDescriptor descriptor, string name) => FieldsOf(descriptor).ByName.GetValueOrDefault(name);

    internal static FieldDescriptor? FindField(MessageDescriptor descriptor, ReadOnlySpan<char> name) =>
        FieldsOf(descriptor).BySpan.TryGetValue(name, out var field) ? field : null;

    internal static bool IsWellKnown(MessageDescriptor descriptor) => descriptor.File.Package == "google.protobuf";

    internal static EnumNames NamesOf(EnumDescriptor enumType) => Names.GetOrAdd(enumType, static e => new EnumNames(e));

    private static FieldTable FieldsOf(MessageDescriptor descriptor) => FieldsByJsonName.GetOrAdd(descriptor, static d => new FieldTable(d));

    private sealed class FieldTable
    {
        public FieldTable(MessageDescriptor descriptor)
        {
            ByName = descriptor.Fields.InDeclarationOrder()
                .SelectMany(f => new[] { (f.JsonName, f), (f.Name, f) })
                .DistinctBy(p => p.Item1)
                .ToFrozenDictionary(p => p.Item1, p => p.f, StringComparer.Ordinal);
            BySpan = ByName.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public FrozenDictionary<string, FieldDescriptor> ByName { get; }

        public FrozenDictionary<string, FieldDescriptor>.AlternateLookup<ReadOnlySpan<char>> BySpan { get; }
    }

    internal sealed class EnumNames
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
            OutgoingBySpan = Outgoing.GetAlternateLookup<ReadOnlySpan<char>>();
            IncomingBySpan = Incoming.GetAlternateLookup<ReadOnlySpan<char>>();
            Quoted = pairs.SelectMany(p => new[] { p.Full, p.Short }).Distinct(StringComparer.Ordinal)
                .ToFrozenDictionary(n => n, n => Encoding.UTF8.GetBytes($"\"{n}\""), StringComparer.Ordinal);
        }

        public FrozenDictionary<string, string> Outgoing { get; }

        public FrozenDictionary<string, string> Incoming { get; }

        public FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> OutgoingBySpan { get; }

        public FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> IncomingBySpan { get; }

        /// <summary>Every name of either map, as a quoted UTF-8 JSON string, ready to copy.</summary>
        public FrozenDictionary<string, byte[]> Quoted { get; }

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
