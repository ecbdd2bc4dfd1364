using AgentMessage.Core.Access;
using AgentMessage.Core.RateLimiting;
using Grpc.Core;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>Per-call facts the interceptor establishes, for the services.</summary>
public static class CallContextExtensions
{
    public static Caller GetCaller(this ServerCallContext context) =>
        CallState.Of(context.GetHttpContext()).Caller ?? throw new InvalidOperationException("RPC ran without an authenticated caller");

    public static void SetRateLimitHeaders(this ServerCallContext context, RateLimitDecision decision) =>
        RateLimitHeaders.Apply(context.GetHttpContext().Response, decision);
}
