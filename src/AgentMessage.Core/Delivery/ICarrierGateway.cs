using System.Diagnostics.CodeAnalysis;
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
    /// <summary>Hands the message to the carrier. A refusal is an answer, not an exception; an
    /// exception means the outcome is unknown and the submission will be retried.</summary>
    ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken);
}

/// <summary>The carrier's answer to a submission: accepted under <see cref="Reference"/> (its
/// receipts name that reference), or rejected with <see cref="ErrorCode"/>.</summary>
public sealed record CarrierSubmission
{
    private CarrierSubmission(bool accepted, string reference, string? errorCode)
    {
        Accepted = accepted;
        Reference = reference;
        ErrorCode = errorCode;
    }

    [MemberNotNullWhen(false, nameof(ErrorCode))]
    public bool Accepted { get; }

    /// <summary>The submission's reference (<see cref="CarrierReference"/>), accepted or not.</summary>
    public string Reference { get; }

    /// <summary>Why the carrier refused the message; null when accepted.</summary>
    public string? ErrorCode { get; }

    public static CarrierSubmission Accept(string reference) => new(true, reference, null);

    public static CarrierSubmission Reject(string reference, string errorCode) => new(false, reference, errorCode);
}
