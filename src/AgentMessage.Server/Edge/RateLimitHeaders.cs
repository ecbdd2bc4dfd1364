using AgentMessage.Core.RateLimiting;
using HttpResponse = Microsoft.AspNetCore.Http.HttpResponse;

namespace AgentMessage.Server.Edge;

/// <summary>The RateLimit-* response headers (docs/API.md section 7).</summary>
public static class RateLimitHeaders
{
    public static void Apply(HttpResponse response, RateLimitDecision decision)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        response.Headers["RateLimit-Limit"] = decision.Limit.ToString(culture);
        response.Headers["RateLimit-Remaining"] = decision.Remaining.ToString(culture);
        response.Headers["RateLimit-Reset"] = ((int)Math.Ceiling(decision.ResetAfter.TotalSeconds)).ToString(culture);
    }
}
