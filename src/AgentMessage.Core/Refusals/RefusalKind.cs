namespace AgentMessage.Core.Refusals;

/// <summary>
/// One row of the error table (docs/API.md section 3): the code clients see and the message used
/// when none is given. How each kind travels (HTTP status, gRPC status) is the edges' business:
/// <c>RestRefusals</c> and <c>GrpcRefusals</c> in AgentMessage.Server map every kind once.
/// </summary>
public sealed class RefusalKind
{
    public static readonly RefusalKind Unauthorized = new("UNAUTHORIZED", "authentication failed");
    public static readonly RefusalKind Forbidden = new("FORBIDDEN", "missing required scope");
    public static readonly RefusalKind NotFound = new("NOT_FOUND", "not found");
    public static readonly RefusalKind MethodNotAllowed = new("METHOD_NOT_ALLOWED", "method not allowed");
    public static readonly RefusalKind BadRequest = new("BAD_REQUEST", "bad request");
    public static readonly RefusalKind PayloadTooLarge = new("PAYLOAD_TOO_LARGE", "request body too large");
    public static readonly RefusalKind UnsupportedMediaType = new("UNSUPPORTED_MEDIA_TYPE", "unsupported media type");
    public static readonly RefusalKind ValidationFailed = new("VALIDATION_FAILED", "validation failed");
    public static readonly RefusalKind LineTypeBlocked = new("LINE_TYPE_BLOCKED", "recipient is a landline");
    public static readonly RefusalKind IdempotencyKeyReused = new("IDEMPOTENCY_KEY_REUSED", "idempotency key reused with a different request");
    public static readonly RefusalKind IdempotencyInProgress = new("IDEMPOTENCY_IN_PROGRESS", "a request with this idempotency key is in progress");
    public static readonly RefusalKind RateLimited = new("RATE_LIMITED", "rate limited");
    public static readonly RefusalKind ConsentRequired = new("CONSENT_REQUIRED", "consent required");
    public static readonly RefusalKind NumberInUse = new("NUMBER_IN_USE", "the number belongs to another organization");
    public static readonly RefusalKind MessageNotCancelable = new("MESSAGE_NOT_CANCELABLE", "message can no longer be canceled");
    public static readonly RefusalKind MediaAlreadyUploaded = new("MEDIA_ALREADY_UPLOADED", "this upload URL has already been used");
    public static readonly RefusalKind MmsDisabled = new("MMS_DISABLED", "mms subsystem disabled");
    public static readonly RefusalKind Unavailable = new("UNAVAILABLE", "service temporarily unavailable");
    public static readonly RefusalKind Unimplemented = new("UNIMPLEMENTED", "not implemented");
    public static readonly RefusalKind Internal = new("INTERNAL", "internal error");

    private RefusalKind(string code, string defaultMessage)
    {
        Code = code;
        DefaultMessage = defaultMessage;
    }

    /// <summary>Every kind, for the edges' tables and their completeness tests.</summary>
    public static IReadOnlyList<RefusalKind> All { get; } =
    [
        Unauthorized, Forbidden, NotFound, MethodNotAllowed, BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed,
        LineTypeBlocked, IdempotencyKeyReused, IdempotencyInProgress, RateLimited, ConsentRequired, NumberInUse,
        MessageNotCancelable, MediaAlreadyUploaded, MmsDisabled, Unavailable, Unimplemented, Internal,
    ];

    /// <summary>The code clients see: <c>error.code</c> on REST, <c>ErrorInfo.reason</c> on gRPC.</summary>
    public string Code { get; }

    public string DefaultMessage { get; }

    public override string ToString() => Code;
}
