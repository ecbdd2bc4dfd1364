namespace AgentMessage.Core.RateLimiting;

/// <summary>The operations that have a bucket of their own per organization.</summary>
public enum RateLimitedOperation
{
    Send,
    MediaUpload,
}
