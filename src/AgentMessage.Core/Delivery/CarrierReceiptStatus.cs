using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The receipt statuses carriers report: the SMPP delivery-receipt "stat" values, which HTTP
/// carriers post as they are (docs/API.md section 9).
/// </summary>
public static class CarrierReceiptStatus
{
    public const string Delivered = "DELIVRD";
    public const string Undeliverable = "UNDELIV";
    public const string Expired = "EXPIRED";
    public const string Rejected = "REJECTD";
    public const string Accepted = "ACCEPTD";
    public const string Unknown = "UNKNOWN";
    public const string Deleted = "DELETED";
    public const string Enroute = "ENROUTE";

    public static readonly IReadOnlyList<string> All = [Delivered, Undeliverable, Expired, Rejected, Accepted, Unknown, Deleted, Enroute];

    public static bool IsKnown(string status) => All.Contains(status, StringComparer.Ordinal);

    /// <summary>
    /// Our status for a carrier's (the SMPP 3.4 final states): DELIVRD → delivered; UNDELIV, EXPIRED
    /// and UNKNOWN → undelivered; REJECTD and DELETED → failed; ACCEPTD → sent; ENROUTE (and anything
    /// else) → null, the receipt changes nothing.
    /// </summary>
    public static DeliveryStatus? ToDeliveryStatus(string status) => status switch
    {
        Delivered => DeliveryStatus.Delivered,
        Undeliverable or Expired or Unknown => DeliveryStatus.Undelivered,
        Rejected or Deleted => DeliveryStatus.Failed,
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
        Unknown => carrierErrorCode ?? "unknown",
        Deleted => carrierErrorCode ?? "deleted",
        _ => null,
    };
}
