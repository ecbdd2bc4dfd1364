using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Organizations;

/// <summary>A customer. Rate limits left null fall back to the configured defaults.</summary>
public sealed record Organization(
    string Id,
    string Name,
    RateLimitPolicy? SendLimit = null,
    RateLimitPolicy? MediaUploadLimit = null,
    bool MmsEnabled = true)
{
    public RateLimitPolicy? LimitFor(RateLimitedOperation operation) => operation switch
    {
        RateLimitedOperation.Send => SendLimit,
        RateLimitedOperation.MediaUpload => MediaUploadLimit,
        _ => null,
    };
}
