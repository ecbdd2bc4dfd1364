using AgentMessage.Core.Idempotency;
using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Messaging;

/// <summary>
/// The last step of a send, done atomically: take a token from the organization's send bucket
/// and, when admitted and the business checks passed, store the message, put it on the dispatch
/// schedule (due now, or at its send_at)
/// and commit the idempotency claim with it. A refused send releases the claim. On Redis this is one script, so an
/// accepted send without an Idempotency-Key costs at most one round trip (concurrent sends of one
/// organization share one).
/// </summary>
public interface ISendAdmission
{
    ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken);
}

/// <param name="Message">The message to store, or null when a business check already refused it
/// (the token is still taken: the contract limits before it checks business rules).</param>
/// <param name="Claim">The request's idempotency reservation, if it has a key.</param>
/// <param name="PaceInterval">The time between two messages of the sender number
/// (<c>Delivery.PaceTable</c>), kept with the message for the dispatch schedule.</param>
public sealed record AdmissionRequest(string OrganizationId, RateLimitPolicy Policy, Message? Message, IdempotencyClaim? Claim, TimeSpan PaceInterval = default);

/// <param name="LeaseLost">The claim's lease ran out before the send finished; nothing was taken or stored.</param>
public readonly record struct Admission(RateLimitDecision RateLimit, bool LeaseLost = false);
