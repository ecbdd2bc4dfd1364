using System.Collections.Frozen;
using AgentMessage.Core.Refusals;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// The native face's column of the error table (docs/API.md section 3): the gRPC status of each
/// refusal kind, and the <c>google.rpc.Status</c> a refusal travels as. The only place a refusal
/// becomes a gRPC status.
/// </summary>
public static class GrpcRefusals
{
    /// <summary>The <c>ErrorInfo.domain</c> of every refusal.</summary>
    public const string Domain = "agentmessage.io";

    private static readonly FrozenDictionary<RefusalKind, StatusCode> Codes = new Dictionary<RefusalKind, StatusCode>
    {
        [RefusalKind.Unauthorized] = StatusCode.Unauthenticated,
        [RefusalKind.Forbidden] = StatusCode.PermissionDenied,
        [RefusalKind.NotFound] = StatusCode.NotFound,
        [RefusalKind.MethodNotAllowed] = StatusCode.Unimplemented,
        [RefusalKind.BadRequest] = StatusCode.InvalidArgument,
        [RefusalKind.PayloadTooLarge] = StatusCode.InvalidArgument,
        [RefusalKind.UnsupportedMediaType] = StatusCode.InvalidArgument,
        [RefusalKind.ValidationFailed] = StatusCode.InvalidArgument,
        [RefusalKind.LineTypeBlocked] = StatusCode.FailedPrecondition,
        [RefusalKind.IdempotencyKeyReused] = StatusCode.FailedPrecondition,
        [RefusalKind.IdempotencyInProgress] = StatusCode.Aborted,
        [RefusalKind.RateLimited] = StatusCode.ResourceExhausted,
        [RefusalKind.ConsentRequired] = StatusCode.FailedPrecondition,
        [RefusalKind.NumberInUse] = StatusCode.AlreadyExists,
        [RefusalKind.MessageNotCancelable] = StatusCode.FailedPrecondition,
        [RefusalKind.MediaAlreadyUploaded] = StatusCode.AlreadyExists,
        [RefusalKind.MmsDisabled] = StatusCode.Unavailable,
        [RefusalKind.Unavailable] = StatusCode.Unavailable,
        [RefusalKind.Unimplemented] = StatusCode.Unimplemented,
        [RefusalKind.Internal] = StatusCode.Internal,
    }.ToFrozenDictionary();

    public static StatusCode StatusCodeOf(RefusalKind kind) => Codes[kind];

    /// <summary>The kind for a gRPC status raised by the framework rather than by our code.</summary>
    public static RefusalKind ForStatusCode(StatusCode status) => status switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => RefusalKind.BadRequest,
        StatusCode.Unauthenticated => RefusalKind.Unauthorized,
        StatusCode.PermissionDenied => RefusalKind.Forbidden,
        StatusCode.NotFound => RefusalKind.NotFound,
        StatusCode.ResourceExhausted => RefusalKind.RateLimited,
        StatusCode.Unimplemented => RefusalKind.Unimplemented,
        StatusCode.Unavailable => RefusalKind.Unavailable,
        _ => RefusalKind.Internal,
    };

    /// <summary>
    /// Records <paramref name="refusal"/> as the call's outcome (<see cref="EdgeRefusals.Record"/>)
    /// and returns its gRPC form.
    /// </summary>
    public static Google.Rpc.Status Record(HttpContext context, Refusal refusal)
    {
        EdgeRefusals.Record(context, refusal);
        return ToStatus(refusal, CallState.Of(context).RequestId);
    }

    /// <summary>The answer to a gRPC call of a method this server does not have.</summary>
    internal static readonly Refusal UnknownMethod = new(RefusalKind.Unimplemented, "method is unimplemented: no service of this server has it");

    /// <summary>
    /// Answers a native gRPC call that matched no method with UNIMPLEMENTED and its ErrorInfo, in a
    /// trailers-only response (the status in the headers of a response without a body), as
    /// grpc-dotnet answers a call it refuses before the method runs.
    /// </summary>
    public static void AnswerUnknownMethod(HttpContext context)
    {
        var status = Record(context, UnknownMethod);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = status.Message;
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
    }

    /// <summary>
    /// The gRPC form: the status code of the table, and google.rpc.Status details (sent in
    /// grpc-status-details-bin): ErrorInfo (reason = our code), BadRequest for field problems,
    /// RetryInfo when a retry delay applies.
    /// </summary>
    public static Google.Rpc.Status ToStatus(Refusal refusal, string requestId)
    {
        // Any.Pack serializes at once: ErrorInfo must be complete before it is packed.
        var info = new ErrorInfo { Reason = refusal.Kind.Code, Domain = Domain, Metadata = { ["request_id"] = requestId } };
        var validation = refusal.Kind == RefusalKind.ValidationFailed;
        if (!validation && refusal.Details is { } facts)
        {
            foreach (var (key, value) in facts)
            {
                info.Metadata[key] = value;
            }
        }

        var status = new Google.Rpc.Status
        {
            Code = (int)StatusCodeOf(refusal.Kind),
            Message = refusal.Message,
            Details = { Any.Pack(info) },
        };
        if (validation && refusal.Details is { Count: > 0 } details)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.AddRange(details.Select(d => new BadRequest.Types.FieldViolation { Field = d.Key, Description = d.Value }));
            status.Details.Add(Any.Pack(badRequest));
        }

        if (refusal.RetryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(EdgeRefusals.WholeSeconds(delay)) }));
        }

        return status;
    }
}
