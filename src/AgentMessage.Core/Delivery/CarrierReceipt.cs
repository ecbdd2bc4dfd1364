namespace AgentMessage.Core.Delivery;

/// <summary>
/// What a carrier said about a message it accepted, however it said it: an HTTP receipt
/// (<c>{"reference", "status", "error_code"?, "occurred_at"?}</c>) or an SMPP <c>deliver_sm</c>
/// delivery receipt (<c>id</c>, <c>stat</c>, <c>err</c>, <c>done date</c>). Every carrier link hands
/// it to <see cref="ICarrierReceiptSink"/>.
/// </summary>
/// <param name="Reference">The reference the message was submitted under (<see cref="CarrierReference"/>).</param>
/// <param name="Status">The carrier's status, one of <see cref="CarrierReceiptStatus.All"/>.</param>
/// <param name="ErrorCode">The carrier's error code, when it gave one.</param>
/// <param name="OccurredAt">When the carrier says it happened, when it said.</param>
public sealed record CarrierReceipt(string Reference, string Status, string? ErrorCode, DateTimeOffset? OccurredAt);
