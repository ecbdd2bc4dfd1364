using System.Diagnostics;
using AgentMessage.Server.Errors;
using AgentMessage.Server.Rest;

namespace AgentMessage.Server.Observability;

/// <summary>Every call's ULID: in the X-Request-Id header (x-request-id metadata on gRPC), in error
/// bodies, and in the call's log line.</summary>
public static class RequestId
{
    public const string Header = "X-Request-Id";

    private static readonly object Key = new();

    public static string Of(HttpContext context) => context.Items[Key] as string ?? Assign(context);

    internal static string Assign(HttpContext context)
    {
        var id = Ulid.NewUlid().ToString();
        context.Items[Key] = id;
        return id;
    }
}

/// <summary>
/// The outermost middleware: gives the call its request id, writes one log line when it ends, and,
/// for non-gRPC requests, answers in the REST envelope whatever no endpoint answered (unknown path,
/// wrong method, an exception outside any RPC).
/// </summary>
public sealed class RequestEdgeMiddleware(RequestDelegate next, ILogger<RequestEdgeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var id = RequestId.Assign(context);
        context.Response.Headers[RequestId.Header] = id;
        var started = Stopwatch.GetTimestamp();
        var grpc = Api.GrpcRequest.IsNative(context.Request);
        using var scope = logger.BeginScope(new RequestScope(id));
        try
        {
            await next(context);
            if (!grpc && !context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null)
            {
                var error = ErrorCode.ForHttpStatus(context.Response.StatusCode);
                await RestEnvelope.WriteErrorAsync(context, error, error.DefaultMessage, null);
            }
        }
        catch (Exception exception) when (!grpc && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            context.Response.Headers[RequestId.Header] = id;
            await RestEnvelope.WriteErrorAsync(context, ErrorCode.Internal, ErrorCode.Internal.DefaultMessage, null);
        }
        finally
        {
            LogAnswer(context, grpc, started, id);
        }
    }

    private void LogAnswer(HttpContext context, bool grpc, long started, string id)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var grpcStatus = grpc ? GrpcStatus(context) : null;
            logger.LogInformation(
                "{Protocol} {Method} {Path} answered {Status}{GrpcStatus}{Error} in {ElapsedMs:0.0} ms request_id={RequestId}",
                context.Request.Protocol,
                context.Request.Method,
                context.Request.Path.Value,
                context.Response.StatusCode,
                string.IsNullOrEmpty(grpcStatus) ? string.Empty : $" grpc-status={grpcStatus}",
                context.Items[ApiFailure.Key] is ApiError failure ? $" error={failure.Error.Code}" : string.Empty,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                id);
        }
    }

    /// <summary>The status of a gRPC call: in the trailers, or in the headers of a trailers-only
    /// response (a call that failed before writing a message).</summary>
    private static string? GrpcStatus(HttpContext context)
    {
        var trailers = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseTrailersFeature>()?.Trailers;
        return trailers?["grpc-status"] is { Count: > 0 } status ? status.ToString() : context.Response.Headers["grpc-status"].ToString();
    }
}

/// <summary>The log scope of one request: its id under "RequestId", for providers that print scopes.</summary>
internal sealed class RequestScope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("RequestId", id) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"RequestId:{id}";
}
