using AgentMessage.Server.Delivery;
using AgentMessage.Server.Idempotency;
using AgentMessage.Server.RateLimiting;

namespace AgentMessage.Server.Messaging;

/// <summary>
/// The last step of a send, done atomically: take a token from the organization's send bucket
/// and, when admitted and the business checks passed, store the message, queue it for dispatch
/// and commit the idempotency claim with it. A refused send releases the claim. On Redis this is one script, so an
/// accepted send without an Idempotency-Key costs one round trip.
/// </summary>
public interface ISendAdmission
{
    ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken);
}

/// <param name="Message">The message to store, or null when a business check already refused it
/// (the token is still taken: the contract limits before it checks business rules).</param>
/// <param name="Claim">The request's idempotency reservation, if it has a key.</param>
public sealed record AdmissionRequest(string OrganizationId, RateLimitPolicy Policy, Message? Message, IdempotencyClaim? Claim);

/// <param name="LeaseLost">The claim's lease ran out before the send finished; nothing was taken or stored.</param>
public readonly record struct Admission(RateLimitDecision RateLimit, bool Stored, bool LeaseLost = false);

/// <summary>The embedded default: one lock over this process's bucket, messages and keys.</summary>
public sealed class InMemorySendAdmission(InMemoryRateLimiter rateLimiter, InMemoryMessageStore messages, InMemoryIdempotencyStore idempotency, InMemoryDispatchQueue dispatch, InMemoryStatusStore statuses) : ISendAdmission
{
    private readonly Lock gate = new();

    public ValueTask<Admission> AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return ValueTask.FromResult(Admit(request));
        }
    }

    private Admission Admit(AdmissionRequest request)
    {
        if (request.Claim is { } claim && !idempotency.IsOwner(claim))
        {
            return new Admission(default, Stored: false, LeaseLost: true);
        }

        var decision = rateLimiter.TryAcquire(request.OrganizationId, RateLimitedOperation.Send, request.Policy);
        if (!decision.Allowed || request.Message is null)
        {
            if (request.Claim is not null)
            {
                idempotency.Release(request.Claim);
            }

            return new Admission(decision, Stored: false);
        }

        messages.Add(request.Message);
        statuses.RecordAccepted(request.Message);
        dispatch.Enqueue(request.Message);
        if (request.Claim is not null)
        {
            idempotency.Commit(request.Claim, MessageJson.Serialize(request.Message));
        }

        return new Admission(decision, Stored: true);
    }
}
