namespace AgentMessage.Core.RateLimiting;

/// <summary>Takes tokens from an organization's bucket for one operation.</summary>
public interface IRateLimiter
{
    ValueTask<RateLimitDecision> TryAcquireAsync(string organizationId, RateLimitedOperation operation, RateLimitPolicy policy, CancellationToken cancellationToken);
}
