namespace AgentMessage.Core.Messaging;

/// <summary>
/// Storing inbound messages. A message and the event that announces it (status received, direction
/// inbound) are written in one atomic step, with the index entries listings read, so a stream never
/// shows an arrival that a read cannot find. A delivery may name itself by a key (the receiving
/// number and the carrier's message id): the first delivery with a key is stored, and every later
/// one within the keep finds it instead of storing anything.
/// </summary>
public interface IInboundMessageStore
{
    /// <summary>The delivery already stored under <paramref name="deliveryKey"/>, or null.</summary>
    ValueTask<InboundDelivery?> FindDeliveryAsync(string organizationId, string deliveryKey, CancellationToken cancellationToken);

    /// <summary>Stores the message and appends its event, unless a delivery with the request's key
    /// was stored first: then nothing is written and that delivery is answered.</summary>
    ValueTask<InboundDelivery> StoreAsync(InboundStoreRequest request, CancellationToken cancellationToken);
}

/// <param name="Message">The inbound message, in status received.</param>
/// <param name="DeliveryKey">What names this delivery among its carrier's (null: none; it is then
/// always stored).</param>
/// <param name="KeywordApplied">Whether the message's keyword changed a consent record, kept with
/// the key so that a repeated delivery is answered as the first was.</param>
/// <param name="Keep">How long the key is remembered.</param>
public sealed record InboundStoreRequest(Message Message, string? DeliveryKey, bool KeywordApplied, TimeSpan Keep);

/// <summary>A stored inbound delivery: its message and whether its keyword changed a consent record.
/// <paramref name="Repeated"/> when it was stored by an earlier delivery with the same key.</summary>
public sealed record InboundDelivery(string MessageId, bool KeywordApplied, bool Repeated);
