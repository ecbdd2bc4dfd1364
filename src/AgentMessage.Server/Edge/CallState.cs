using AgentMessage.Core.Access;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Edge;

/// <summary>
/// What one call has established as it crosses the edge: its request id, its authenticated
/// caller, a problem the REST facade found in the request body, and the refusal it ended with.
/// One typed feature of the call's <see cref="HttpContext"/>, shared by the request log, the REST
/// facade, the gRPC interceptor and the services, whichever face the call came in on.
/// </summary>
public sealed class CallState
{
    public const string RequestIdHeader = "X-Request-Id";

    private CallState(string requestId)
    {
        RequestId = requestId;
    }

    /// <summary>The call's ULID: in the X-Request-Id header (x-request-id metadata on gRPC), in
    /// error bodies, and in the call's log line.</summary>
    public string RequestId { get; }

    /// <summary>Who is calling, once the API key is authenticated; null for the operator API and
    /// before authentication.</summary>
    public Caller? Caller { get; set; }

    /// <summary>A problem with the request body (REST: size, content type, JSON; gRPC: the message's
    /// framing, compression or encoding), found before the call is authenticated and reported only
    /// after it is, so both faces check in the same order.</summary>
    public Refusal? RequestProblem { get; set; }

    /// <summary>The refusal the call ended with, recorded by <see cref="EdgeRefusals.Record"/>: the
    /// REST facade renders it as the envelope, and the request log names its code.</summary>
    public Refusal? Refusal { get; set; }

    /// <summary>The call's state, started on first use (the request edge starts it for every call).</summary>
    public static CallState Of(HttpContext context) => context.Features.Get<CallState>() ?? Start(context);

    /// <summary>Gives the call a new state with a new request id.</summary>
    public static CallState Start(HttpContext context)
    {
        var state = new CallState(Ulid.NewUlid().ToString());
        context.Features.Set(state);
        return state;
    }
}
