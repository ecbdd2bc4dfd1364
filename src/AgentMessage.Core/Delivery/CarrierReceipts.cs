using System.Diagnostics;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// Applies carrier receipts (<see cref="ICarrierReceiptSink"/>): finds the message by its
/// reference, maps the carrier's status onto ours (<see cref="CarrierReceiptStatus"/>) and moves the
/// message through <see cref="IMessageStatusStore"/>, which only ever moves it forward
/// (<see cref="DeliveryLifecycle"/>). The event's time is when the move is recorded, not the
/// carrier's <see cref="CarrierReceipt.OccurredAt"/>: event ids and times must keep increasing
/// within an organization's log, and a carrier's clock is not ours.
/// </summary>
/// <remarks>The telemetry and the message store (read only to time a final receipt) are optional,
/// so the rules can be tested without them.</remarks>
public sealed partial class CarrierReceipts(
    IMessageStatusStore statuses,
    ILogger<CarrierReceipts> logger,
    AgentMessageTelemetry? telemetry = null,
    IMessageStore? messages = null) : ICarrierReceiptSink
{
    public async ValueTask<ReceiptOutcome> ApplyAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        using var activity = AgentMessageTelemetry.Source.StartActivity("CarrierReceipt");
        var outcome = await ApplyCheckedAsync(receipt, cancellationToken);
        activity?.SetTag(AgentMessageTelemetry.OutcomeTag, outcome.ToString());
        return outcome;
    }

    private async ValueTask<ReceiptOutcome> ApplyCheckedAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
    {
        if (!CarrierReference.TryParse(receipt.Reference, out var organizationId, out var messageId))
        {
            LogUnknownReference(logger, receipt.Status);
            return ReceiptOutcome.UnknownReference;
        }

        if (CarrierReceiptStatus.ToDeliveryStatus(receipt.Status) is not { } status)
        {
            LogNoStatusChange(logger, receipt.Reference, receipt.Status);
            return ReceiptOutcome.NoStatusChange;
        }

        Activity.Current?.SetTag(AgentMessageTelemetry.MessageTag, messageId);
        var final = DeliveryLifecycle.IsTerminal(status);

        // When the message was sent: one more read, only while someone measures it.
        var sentAt = final && messages is not null && telemetry is { MeasuresSentToFinal: true } && await messages.GetAsync(organizationId, messageId, cancellationToken) is { Status: DeliveryStatus.Sent } before
            ? before.UpdatedAt
            : (DateTimeOffset?)null;
        var change = await statuses.TransitionAsync(organizationId, messageId, status, CarrierReceiptStatus.ErrorCodeFor(receipt.Status, receipt.ErrorCode), cancellationToken);
        var outcome = change is null ? ReceiptOutcome.Ignored : ReceiptOutcome.Applied;
        if (change is not null && final)
        {
            telemetry?.FinalReceipt(StatusName(status), sentAt is { } at ? change.OccurredAt - at : null);
        }

        LogApplied(logger, receipt.Reference, receipt.Status, status, outcome);
        return outcome;
    }

    private static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Undelivered => "undelivered",
        DeliveryStatus.Failed => "failed",
        _ => status.ToString().ToLowerInvariant(),
    };

    // References are organization_id/message_id: no phone number or text is ever logged here.
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Carrier receipt {CarrierStatus} for {Reference}: {Status}, {Outcome}")]
    private static partial void LogApplied(ILogger logger, string reference, string carrierStatus, DeliveryStatus status, ReceiptOutcome outcome);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Carrier receipt {CarrierStatus} for {Reference} changes no status")]
    private static partial void LogNoStatusChange(ILogger logger, string reference, string carrierStatus);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Carrier receipt {CarrierStatus} ignored: its reference is not organization_id/message_id")]
    private static partial void LogUnknownReference(ILogger logger, string carrierStatus);
}
