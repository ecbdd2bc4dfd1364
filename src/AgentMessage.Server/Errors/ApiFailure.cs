using AgentMessage.Server.Observability;
using AgentMessage.Server.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using HttpResponse = Microsoft.AspNetCore.Http.HttpResponse;

namespace AgentMessage.Server.Errors;

/// <summary>How an <see cref="ApiError"/>, returned or thrown, reaches each face of the API.</summary>
public static class ApiFailure
{
    public const string Domain = "agentmessage.io";

    /// <summary>HttpContext item: the failure of this call, for the REST facade to render.</summary>
    public static readonly object Key = new();

    /// <summary>HttpContext item: a problem with the REST request body, raised after authentication.</summary>
    public static readonly object RequestProblemKey = new();

    /// <summary>
    /// Makes <paramref name="failure"/> the outcome of this call: the REST facade renders it from
    /// <see cref="Key"/>, and its headers go out now (gRPC: as metadata). Returns the gRPC form.
    /// </summary>
    public static Google.Rpc.Status Record(HttpContext context, ApiError failure)
    {
        RecordForRest(context, failure);
        return ToStatus(failure, RequestId.Of(context));
    }

    /// <summary><see cref="Record"/> for a transcoded call, which needs no gRPC form.</summary>
    public static void RecordForRest(HttpContext context, ApiError failure)
    {
        context.Items[Key] = failure;
        ApplyHeaders(context.Response, failure);
    }

    /// <summary>
    /// The gRPC form: the status code of the table, and google.rpc.Status details (sent in
    /// grpc-status-details-bin): ErrorInfo (reason = our code), BadRequest for field problems,
    /// RetryInfo when a retry delay applies.
    /// </summary>
    public static Google.Rpc.Status ToStatus(ApiError failure, string requestId)
    {
        // Any.Pack serializes at once: ErrorInfo must be complete before it is packed.
        var info = new ErrorInfo { Reason = failure.Error.Code, Domain = Domain, Metadata = { ["request_id"] = requestId } };
        var validation = failure.Error == ErrorCode.ValidationFailed;
        if (!validation && failure.Details is { } facts)
        {
            foreach (var (key, value) in facts)
            {
                info.Metadata[key] = value;
            }
        }

        var status = new Google.Rpc.Status
        {
            Code = (int)failure.Error.GrpcStatus,
            Message = failure.Message,
            Details = { Any.Pack(info) },
        };
        if (validation && failure.Details is { Count: > 0 } details)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.AddRange(details.Select(d => new BadRequest.Types.FieldViolation { Field = d.Key, Description = d.Value }));
            status.Details.Add(Any.Pack(badRequest));
        }

        if (failure.RetryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(WholeSeconds(delay)) }));
        }

        return status;
    }

    /// <summary>Headers that go with a failure on both faces (gRPC carries them as metadata).</summary>
    public static void ApplyHeaders(HttpResponse response, ApiError failure)
    {
        if (failure.Error == ErrorCode.Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        if (failure.RetryAfter is { } delay)
        {
            response.Headers.RetryAfter = ((int)WholeSeconds(delay).TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (failure.RateLimit is { } decision)
        {
            RateLimitHeaders.Apply(response, decision);
        }
    }

    /// <summary>Retry delays are announced in whole seconds, rounded up, and never zero.</summary>
    public static TimeSpan WholeSeconds(TimeSpan delay) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(delay.TotalSeconds)));
}

/// <summary>The RateLimit-* response headers (CONTRACT.md section 7).</summary>
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
