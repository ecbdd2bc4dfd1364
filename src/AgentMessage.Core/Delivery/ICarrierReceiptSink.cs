namespace AgentMessage.Core.Delivery;

/// <summary>What became of a receipt handed to <see cref="ICarrierReceiptSink"/>.</summary>
public enum ReceiptOutcome
{
    /// <summary>The message moved to the receipt's status; an event was recorded.</summary>
    Applied,

    /// <summary>Nothing changed: the message is unknown (or gone), already terminal, or already
    /// past the receipt's status. Duplicate, late and out-of-order receipts end here.</summary>
    Ignored,

    /// <summary>The reference is not <c>organization_id/message_id</c>: no message of ours.</summary>
    UnknownReference,

    /// <summary>The carrier's status says nothing we record (UNKNOWN, or not a receipt status).</summary>
    NoStatusChange,
}

/// <summary>
/// The port through which every carrier link reports what a carrier said about a message: the
/// HTTP receipt endpoint, the built-in simulator, an SMPP client on a <c>deliver_sm</c> receipt.
/// Links authenticate and parse their carrier's wire format; the meaning of a receipt
/// (docs/API.md section 9) is decided here, once. A store that is down throws, so the link can have
/// the carrier retry (an HTTP answer that is not 2xx, an SMPP <c>deliver_sm_resp</c> error).
/// </summary>
public interface ICarrierReceiptSink
{
    ValueTask<ReceiptOutcome> ApplyAsync(CarrierReceipt receipt, CancellationToken cancellationToken);
}
