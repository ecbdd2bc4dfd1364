namespace AgentMessage.Core.Delivery;

/// <summary>
/// What a carrier link that names messages by the carrier's own ids, and splits long texts into
/// parts, keeps beside the messages (the SMPP link: <c>submit_sm_resp</c> gives a message_id, receipts
/// come back with it, on any bind of any instance). It is shared state (in Redis on the Redis
/// configuration), so a receipt finds its message wherever it arrives. Every entry expires after the
/// <c>keep</c> it was written with; a store that is down throws <see cref="Refusals.StoreUnavailableException"/>.
/// </summary>
public interface ICarrierLinkStore
{
    /// <summary>
    /// The progress of a multipart message: the concatenation reference its parts carry and the parts
    /// the carrier has already accepted. The first call creates it with
    /// <paramref name="proposedConcatReference"/>; later calls (a retry, another instance) get what is
    /// recorded, so every submission of the message carries the same reference and no accepted part is
    /// sent twice.
    /// </summary>
    ValueTask<MultipartProgress> BeginMultipartAsync(string reference, int proposedConcatReference, TimeSpan keep, CancellationToken cancellationToken);

    /// <summary>Records that the carrier accepted <paramref name="part"/> under
    /// <paramref name="carrierId"/>: the id's entry (so <see cref="FindAsync"/> finds the part) and, for a
    /// multipart message, the part in the message's progress.</summary>
    ValueTask RecordAcceptedAsync(string carrierId, CarrierPart part, TimeSpan keep, CancellationToken cancellationToken);

    /// <summary>The message part a carrier id names, or null when none is recorded (or it expired).</summary>
    ValueTask<CarrierPart?> FindAsync(string carrierId, CancellationToken cancellationToken);

    /// <summary>
    /// Records the final receipt status (<see cref="CarrierReceiptStatus"/>) of one part of a multipart
    /// message and returns the message's status once it is decided: the first final status that is not
    /// <see cref="CarrierReceiptStatus.Delivered"/>, or Delivered once every part is delivered; null while
    /// undecided. A part's status is recorded once (a repeated receipt keeps the first).
    /// </summary>
    ValueTask<string?> RecordPartStatusAsync(CarrierPart part, string status, TimeSpan keep, CancellationToken cancellationToken);

    /// <summary>
    /// Adds part <paramref name="partNumber"/> (1-based) of <paramref name="parts"/> of a concatenated
    /// inbound message identified by <paramref name="key"/>. When every part is in, returns the parts'
    /// texts in part order and forgets them; otherwise null. A repeated part replaces the earlier copy.
    /// </summary>
    ValueTask<IReadOnlyList<string>?> AddInboundPartAsync(string key, int partNumber, int parts, string text, TimeSpan keep, CancellationToken cancellationToken);
}

/// <summary>One part of a submitted message: its <see cref="CarrierReference"/>, the 1-based part
/// number and the number of parts (1 for a message sent whole).</summary>
public sealed record CarrierPart(string Reference, int Part, int Parts);

/// <summary>The concatenation reference of a multipart message's parts and the parts already accepted
/// (part number to the carrier's id).</summary>
public sealed record MultipartProgress(int ConcatReference, IReadOnlyDictionary<int, string> AcceptedParts);
