using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Delivery;

/// <summary>
/// The way out to a carrier. Delivery is at-least-once: the same message may be submitted again
/// (a worker died after submitting, a reclaimed entry), so a gateway must submit under
/// <see cref="CarrierReference.Of(Message)"/>, which the carrier uses to recognise a retry as the
/// message it already has, not a second one.
/// </summary>
public interface ICarrierGateway
{
    /// <summary>Hands the message to the carrier. A refusal is an answer, not an exception: a
    /// permanent one fails the message, a transient one (<see cref="CarrierSubmission.Retry"/>) puts it
    /// back on the schedule. An exception means the outcome is unknown and the submission will be
    /// retried after its lease.</summary>
    ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken);
}

/// <summary>The carrier's answer to a submission: accepted under <see cref="Reference"/> (its
/// receipts name that reference), rejected for good with <see cref="ErrorCode"/>, or refused for now
/// (<see cref="RetryAfter"/>: throttled, queue full, the link down), to be submitted again later.</summary>
public sealed record CarrierSubmission
{
    private CarrierSubmission(bool accepted, string reference, string? errorCode, TimeSpan? retryAfter)
    {
        Accepted = accepted;
        Reference = reference;
        ErrorCode = errorCode;
        RetryAfter = retryAfter;
    }

    /// <summary>The carrier took the message.</summary>
    public bool Accepted { get; }

    /// <summary>The carrier refused the message for now: it stays <c>sending</c> and goes back on the
    /// schedule, due after this long. Null for an accepted or rejected message.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The submission's reference (<see cref="CarrierReference"/>), accepted or not.</summary>
    public string Reference { get; }

    /// <summary>Why the carrier refused the message (for good, or for now); null when accepted.</summary>
    public string? ErrorCode { get; }

    public static CarrierSubmission Accept(string reference) => new(true, reference, null, null);

    public static CarrierSubmission Reject(string reference, string errorCode) => new(false, reference, errorCode, null);

    /// <summary>A transient refusal: submit again after <paramref name="after"/>; <paramref name="reason"/> is logged.</summary>
    public static CarrierSubmission Retry(string reference, TimeSpan after, string reason) =>
        new(false, reference, reason, after < TimeSpan.Zero ? TimeSpan.Zero : after);
}
