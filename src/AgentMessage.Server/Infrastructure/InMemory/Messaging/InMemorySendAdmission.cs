using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Infrastructure.InMemory.Delivery;
using AgentMessage.Server.Infrastructure.InMemory.Idempotency;
using AgentMessage.Server.Infrastructure.InMemory.RateLimiting;

namespace AgentMessage.Server.Infrastructure.InMemory.Messaging;

/// <summary>The embedded default: one lock over this process's bucket, messages and keys.</summary>
public sealed class InMemorySendAdmission(InMemoryRateLimiter rateLimiter, InMemoryIdempotencyStore idempotency, InMemoryDispatchQueue dispatch, InMemoryStatusStore statuses) : ISendAdmission
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
            return new Admission(default, LeaseLost: true);
        }

        var decision = rateLimiter.TryAcquire(request.OrganizationId, RateLimitedOperation.Send, request.Policy);
        if (!decision.Allowed || request.Message is null)
        {
            if (request.Claim is not null)
            {
                idempotency.Release(request.Claim);
            }

            return new Admission(decision);
        }

        statuses.AddAccepted(request.Message);
        dispatch.Enqueue(request.Message, request.PaceInterval);
        if (request.Claim is not null)
        {
            idempotency.Commit(request.Claim, MessageJson.Serialize(request.Message));
        }

        return new Admission(decision);
    }
}
