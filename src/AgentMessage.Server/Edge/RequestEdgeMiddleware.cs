using System.Diagnostics;
using System.Text.RegularExpressions;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge;

/// <summary>
/// The outermost middleware: gives the call its request id, writes one log line when it ends, and,
/// for non-gRPC requests, answers in the REST envelope whatever no endpoint answered (unknown path,
/// wrong method, an exception outside any RPC).
/// </summary>
public sealed partial class RequestEdgeMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>The log category of the request log line. Operators filter on it
    /// (<c>Logging:LogLevel:AgentMessage.Server.Observability.RequestEdgeMiddleware</c>), so it keeps
    /// the name it had before this class moved.</summary>
    public const string LogCategory = "AgentMessage.Server.Observability.RequestEdgeMiddleware";

    private readonly ILogger logger = loggers.CreateLogger(LogCategory);

    public async Task InvokeAsync(HttpContext context)
    {
        var state = CallState.Start(context);
        var id = state.RequestId;
        context.Response.Headers[CallState.RequestIdHeader] = id;
        var started = Stopwatch.GetTimestamp();
        using var scope = logger.BeginScope(new RequestScope(id));
        try
        {
            await next(context);

            // Native or not is known once routing has chosen the endpoint: a gRPC content type on a
            // REST path is a REST call with a body of the wrong type.
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null && !GrpcRequest.IsNative(context))
            {
                var error = RestRefusals.ForHttpStatus(context.Response.StatusCode);
                await RestEnvelope.WriteErrorAsync(context, error, error.DefaultMessage, null);
            }
        }
        catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested && !GrpcRequest.IsNative(context))
        {
            // A refusal or a store outage thrown outside any RPC (the local media endpoints), or a
            // request body the client framed wrongly, is an answer like any other; anything else is
            // a fault, logged, and answered without detail.
            var refusal = Refusal.Of(exception) ?? RequestBodyFailure.Of(exception, context);
            if (refusal is null)
            {
                LogUnhandled(exception, context.Request.Method, LoggedPath(context));
                refusal = new Refusal(RefusalKind.Internal);
            }

            context.Response.Clear();
            context.Response.Headers[CallState.RequestIdHeader] = id;
            state.Refusal = refusal;
            EdgeRefusals.ApplyHeaders(context.Response, refusal);
            await RestEnvelope.WriteErrorAsync(context, refusal);
        }
        finally
        {
            LogAnswer(context, state, started);
        }
    }

    private void LogAnswer(HttpContext context, CallState state, long started)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var grpcStatus = GrpcRequest.IsNative(context) ? GrpcStatus(context) : null;
            LogAnswered(
                context.Request.Protocol,
                context.Request.Method,
                LoggedPath(context),
                context.Response.StatusCode,
                string.IsNullOrEmpty(grpcStatus) ? string.Empty : $" grpc-status={grpcStatus}",
                state.Refusal is { } refusal ? $" error={refusal.Kind.Code}" : string.Empty,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                state.RequestId);
        }
    }

    /// <summary>
    /// The path as the log line names it: the matched route's template (<c>/v1/consents/{number}</c>),
    /// so no phone number or other value from the path reaches a log; a path no route matched, with
    /// every run of digits masked.
    /// </summary>
    internal static string LoggedPath(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { Length: > 0 } template }
            ? template
            : DigitRuns().Replace(context.Request.Path.Value ?? string.Empty, "#");

    [GeneratedRegex("[0-9]{3,}")]
    private static partial Regex DigitRuns();

    [LoggerMessage(LogLevel.Information, "{Protocol} {Method} {Path} answered {Status}{GrpcStatus}{Error} in {ElapsedMs:0.0} ms request_id={RequestId}")]
    private partial void LogAnswered(string protocol, string method, string path, int status, string grpcStatus, string error, double elapsedMs, string requestId);

    [LoggerMessage(LogLevel.Error, "Unhandled exception for {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);

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
