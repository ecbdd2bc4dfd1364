using System.Buffers;
using System.Globalization;
using System.Text.Json;
using AgentMessage.Core.Delivery;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// The JSON form of a <see cref="CarrierReceipt"/>, as an HTTP carrier posts it to
/// <c>POST /v1/carrier/receipts</c> (docs/API.md section 9):
/// <code>{"reference": "org_x/5f0c...", "status": "DELIVRD", "error_code": "...", "occurred_at": "2025-01-01T00:00:00Z"}</code>
/// <c>reference</c> and <c>status</c> are required; <c>error_code</c> and <c>occurred_at</c> are optional.
/// </summary>
public static class CarrierReceiptJson
{
    public const int MaxBodyBytes = 64 * 1024;

    public static byte[] ToJson(this CarrierReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var (reference, status, errorCode, occurredAt) = receipt;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, RestEnvelope.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("reference", reference);
            writer.WriteString("status", status);
            if (errorCode is not null)
            {
                writer.WriteString("error_code", errorCode);
            }

            if (occurredAt is { } at)
            {
                writer.WriteString("occurred_at", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a receipt body; on failure <paramref name="problem"/> says what is wrong, for the 400.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out CarrierReceipt? receipt, out string? problem)
    {
        receipt = null;
        problem = null;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            problem = "receipt body is not valid JSON";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "receipt body must be a JSON object";
                return false;
            }

            if (!TryGetString(root, "reference", required: true, out var reference, ref problem) ||
                !TryGetString(root, "status", required: true, out var status, ref problem) ||
                !TryGetString(root, "error_code", required: false, out var errorCode, ref problem) ||
                !TryGetString(root, "occurred_at", required: false, out var occurred, ref problem))
            {
                return false;
            }

            if (!CarrierReference.TryParse(reference, out _, out _))
            {
                problem = "reference must be organization_id/message_id";
                return false;
            }

            if (!CarrierReceiptStatus.IsKnown(status!))
            {
                problem = "status must be one of: " + string.Join(", ", CarrierReceiptStatus.All);
                return false;
            }

            DateTimeOffset? occurredAt = null;
            if (occurred is not null)
            {
                if (!DateTimeOffset.TryParse(occurred, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                {
                    problem = "occurred_at must be an RFC 3339 timestamp";
                    return false;
                }

                occurredAt = parsed;
            }

            receipt = new CarrierReceipt(reference!, status!, string.IsNullOrEmpty(errorCode) ? null : errorCode, occurredAt);
            return true;
        }
    }

    private static bool TryGetString(JsonElement root, string name, bool required, out string? value, ref string? problem)
    {
        value = null;
        if (!root.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problem = $"{name} is required";
                return false;
            }

            return true;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            problem = $"{name} must be a string";
            return false;
        }

        value = property.GetString();
        if (required && string.IsNullOrEmpty(value))
        {
            problem = $"{name} is required";
            return false;
        }

        return true;
    }
}
