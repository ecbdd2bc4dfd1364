using System.Buffers;
using System.Globalization;
using System.Text.Json;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>The receipt statuses carriers send (the SMPP delivery-receipt "stat" values).</summary>
public static class CarrierReceiptStatus
{
    public const string Delivered = "DELIVRD";
    public const string Undeliverable = "UNDELIV";
    public const string Expired = "EXPIRED";
    public const string Rejected = "REJECTD";
    public const string Accepted = "ACCEPTD";
    public const string Unknown = "UNKNOWN";

    public static readonly IReadOnlyList<string> All = [Delivered, Undeliverable, Expired, Rejected, Accepted, Unknown];

    public static bool IsKnown(string status) => All.Contains(status, StringComparer.Ordinal);

    /// <summary>
    /// Our status for a carrier's: DELIVRD → delivered, UNDELIV and EXPIRED → undelivered,
    /// REJECTD → failed, ACCEPTD → sent; UNKNOWN (and anything else) → null, the receipt changes nothing.
    /// </summary>
    public static DeliveryStatus? ToDeliveryStatus(string status) => status switch
    {
        Delivered => DeliveryStatus.Delivered,
        Undeliverable or Expired => DeliveryStatus.Undelivered,
        Rejected => DeliveryStatus.Failed,
        Accepted => DeliveryStatus.Sent,
        _ => null,
    };

    /// <summary>The error code a message keeps: the carrier's, or one derived from the status when
    /// the carrier gave none; none for statuses that are not failures.</summary>
    public static string? ErrorCodeFor(string status, string? carrierErrorCode) => status switch
    {
        Undeliverable => carrierErrorCode ?? "undeliverable",
        Expired => carrierErrorCode ?? "expired",
        Rejected => carrierErrorCode ?? "rejected",
        _ => null,
    };
}

/// <summary>
/// A delivery receipt as a carrier posts it to <c>POST /v1/carrier/receipts</c>:
/// <code>{"reference": "org_x/5f0c...", "status": "DELIVRD", "error_code": "...", "occurred_at": "2025-01-01T00:00:00Z"}</code>
/// <c>reference</c> and <c>status</c> are required; <c>error_code</c> and <c>occurred_at</c> are optional.
/// </summary>
public sealed record CarrierReceipt(string Reference, string Status, string? ErrorCode, DateTimeOffset? OccurredAt)
{
    public const int MaxBodyBytes = 64 * 1024;

    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, RestEnvelope.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("reference", Reference);
            writer.WriteString("status", Status);
            if (ErrorCode is not null)
            {
                writer.WriteString("error_code", ErrorCode);
            }

            if (OccurredAt is { } occurredAt)
            {
                writer.WriteString("occurred_at", occurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
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
