using Grpc.Core;

namespace AgentMessage.Server.Errors;

/// <summary>
/// One row of the error table (CONTRACT.md section 3): the code clients see, the HTTP status of the
/// REST face, the gRPC status of the native face, and the message used when none is given.
/// </summary>
public sealed record ErrorCode(string Code, int HttpStatus, StatusCode GrpcStatus, string DefaultMessage)
{
    public static readonly ErrorCode Unauthorized = new("UNAUTHORIZED", 401, StatusCode.Unauthenticated, "authentication failed");
    public static readonly ErrorCode Forbidden = new("FORBIDDEN", 403, StatusCode.PermissionDenied, "missing required scope");
    public static readonly ErrorCode NotFound = new("NOT_FOUND", 404, StatusCode.NotFound, "not found");
    public static readonly ErrorCode MethodNotAllowed = new("METHOD_NOT_ALLOWED", 405, StatusCode.Unimplemented, "method not allowed");
    public static readonly ErrorCode BadRequest = new("BAD_REQUEST", 400, StatusCode.InvalidArgument, "bad request");
    public static readonly ErrorCode PayloadTooLarge = new("PAYLOAD_TOO_LARGE", 413, StatusCode.InvalidArgument, "request body too large");
    public static readonly ErrorCode ValidationFailed = new("VALIDATION_FAILED", 422, StatusCode.InvalidArgument, "validation failed");
    public static readonly ErrorCode LineTypeBlocked = new("LINE_TYPE_BLOCKED", 422, StatusCode.FailedPrecondition, "recipient is a landline");
    public static readonly ErrorCode IdempotencyKeyReused = new("IDEMPOTENCY_KEY_REUSED", 422, StatusCode.FailedPrecondition, "idempotency key reused with a different request");
    public static readonly ErrorCode IdempotencyInProgress = new("IDEMPOTENCY_IN_PROGRESS", 409, StatusCode.Aborted, "a request with this idempotency key is in progress");
    public static readonly ErrorCode RateLimited = new("RATE_LIMITED", 429, StatusCode.ResourceExhausted, "rate limited");
    public static readonly ErrorCode ConsentRequired = new("CONSENT_REQUIRED", 453, StatusCode.FailedPrecondition, "consent required");
    public static readonly ErrorCode NumberInUse = new("NUMBER_IN_USE", 409, StatusCode.AlreadyExists, "the number belongs to another organization");
    public static readonly ErrorCode MediaAlreadyUploaded = new("MEDIA_ALREADY_UPLOADED", 409, StatusCode.AlreadyExists, "this upload URL has already been used");
    public static readonly ErrorCode MmsDisabled = new("MMS_DISABLED", 503, StatusCode.Unavailable, "mms subsystem disabled");
    public static readonly ErrorCode Unavailable = new("UNAVAILABLE", 503, StatusCode.Unavailable, "service temporarily unavailable");
    public static readonly ErrorCode Unimplemented = new("UNIMPLEMENTED", 501, StatusCode.Unimplemented, "not implemented");
    public static readonly ErrorCode Internal = new("INTERNAL", 500, StatusCode.Internal, "internal error");

    /// <summary>The row a bare HTTP status stands for, for responses no handler wrote (routing, the server).</summary>
    public static ErrorCode ForHttpStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => PayloadTooLarge,
        422 => ValidationFailed,
        429 => RateLimited,
        501 => Unimplemented,
        503 => Unavailable,
        _ => Internal,
    };

    /// <summary>The row for a gRPC status raised by the framework rather than by our code.</summary>
    public static ErrorCode ForGrpcStatus(StatusCode status) => status switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => BadRequest,
        StatusCode.Unauthenticated => Unauthorized,
        StatusCode.PermissionDenied => Forbidden,
        StatusCode.NotFound => NotFound,
        StatusCode.ResourceExhausted => RateLimited,
        StatusCode.Unimplemented => Unimplemented,
        StatusCode.Unavailable => Unavailable,
        _ => Internal,
    };
}
