using System.Globalization;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Edge;

/// <summary>How a <see cref="Refusal"/>, returned or thrown, becomes a call's outcome on either face:
/// recorded in <see cref="CallState"/>, with the headers that go with it.</summary>
public static class EdgeRefusals
{
    /// <summary>
    /// Makes <paramref name="refusal"/> the outcome of this call: the REST facade renders it from
    /// <see cref="CallState.Refusal"/>, and its headers go out now (gRPC: as metadata).
    /// </summary>
    public static void Record(HttpContext context, Refusal refusal)
    {
        CallState.Of(context).Refusal = refusal;
        ApplyHeaders(context.Response, refusal);
    }

    /// <summary>Headers that go with a refusal on both faces (gRPC carries them as metadata).</summary>
    public static void ApplyHeaders(HttpResponse response, Refusal refusal)
    {
        if (response.HasStarted)
        {
            // A stream that ends with a refusal sent its headers long ago; its last line (REST) or
            // its status details (gRPC: ErrorInfo, RetryInfo) say what the headers would have.
            return;
        }

        if (refusal.Kind == RefusalKind.Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        if (refusal.RetryAfter is { } delay)
        {
            response.Headers.RetryAfter = ((int)WholeSeconds(delay).TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        if (refusal.RateLimit is { } decision)
        {
            RateLimitHeaders.Apply(response, decision);
        }
    }

    /// <summary>Retry delays are announced in whole seconds, rounded up, and never zero.</summary>
    public static TimeSpan WholeSeconds(TimeSpan delay) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(delay.TotalSeconds)));
}
