using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.Server.Edge.Rest;
using Google.Protobuf;

namespace AgentMessage.Server.Infrastructure.Webhooks;

/// <summary>
/// An event's body, <c>{"type", "timestamp", "data"}</c>, with data in exactly the REST shape of
/// GetMessage (snake_case names, lower-case enum values, defaults written, no HTML escaping), so a
/// receiver parses our webhooks with the same types as our API's answers.
/// </summary>
public sealed class WebhookPayloadWriter : IWebhookPayloadWriter
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public byte[] WriteMessageEvent(string type, DateTimeOffset timestamp, Message message)
    {
        var proto = ProtoMapping.ToProto(message);

        // The formatter's escaping differs from the API's; one pass through System.Text.Json evens it out.
        using var document = JsonDocument.Parse(Formatter.Format(proto));
        var plain = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(plain, WriterOptions))
        {
            document.RootElement.WriteTo(writer);
        }

        var data = new ArrayBufferWriter<byte>(plain.WrittenCount + 64);
        ProtoJsonEnums.WriteOutgoing(plain.WrittenSpan, V1.Message.Descriptor, data);
        return Envelope(type, timestamp, writer => writer.WriteRawValue(data.WrittenSpan, skipInputValidation: true));
    }

    public byte[] WriteTestEvent(DateTimeOffset timestamp, string endpointId) =>
        Envelope(WebhookEventTypes.Test, timestamp, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("webhook_id", endpointId);
            writer.WriteEndObject();
        });

    /// <summary>As the API writes a timestamp (protobuf JSON): UTC, with 0, 3, 6 or 9 fraction digits.</summary>
    private static string Rfc3339(DateTimeOffset timestamp) => Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(timestamp).ToString().Trim('"');

    private static byte[] Envelope(string type, DateTimeOffset timestamp, Action<Utf8JsonWriter> writeData)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("timestamp", Rfc3339(timestamp));
            writer.WritePropertyName("data");
            writeData(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
