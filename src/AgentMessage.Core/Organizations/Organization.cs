using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Core.Organizations;

/// <summary>A customer. Rate limits left null fall back to the configured defaults; so do keyword
/// reply texts (<see cref="KeywordReplyTexts"/>).</summary>
public sealed record Organization(
    string Id,
    string Name,
    RateLimitPolicy? SendLimit = null,
    RateLimitPolicy? MediaUploadLimit = null,
    bool MmsEnabled = true,
    KeywordReplyTexts? KeywordReplies = null)
{
    public RateLimitPolicy? LimitFor(RateLimitedOperation operation) => operation switch
    {
        RateLimitedOperation.Send => SendLimit,
        RateLimitedOperation.MediaUpload => MediaUploadLimit,
        _ => null,
    };
}

/// <summary>
/// The texts an organization answers keywords with. A text left null is the default, which names
/// the organization (<see cref="Compliance.KeywordReplier"/>); an empty text means no reply to that
/// keyword (the keyword's consent change still applies).
/// </summary>
public sealed record KeywordReplyTexts(string? StopText = null, string? StartText = null, string? HelpText = null);
