using System.Collections.Frozen;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// The REST face's column of the error table (docs/API.md section 3): the HTTP status of each
/// refusal kind, and the kind a bare HTTP status stands for when no handler wrote the answer
/// (routing, the server). The only place a refusal becomes an HTTP status.
/// </summary>
public static class RestRefusals
{
    private static readonly FrozenDictionary<RefusalKind, int> Statuses = new Dictionary<RefusalKind, int>
    {
        [RefusalKind.Unauthorized] = 401,
        [RefusalKind.Forbidden] = 403,
        [RefusalKind.NotFound] = 404,
        [RefusalKind.MethodNotAllowed] = 405,
        [RefusalKind.BadRequest] = 400,
        [RefusalKind.PayloadTooLarge] = 413,
        [RefusalKind.UnsupportedMediaType] = 415,
        [RefusalKind.ValidationFailed] = 422,
        [RefusalKind.LineTypeBlocked] = 422,
        [RefusalKind.IdempotencyKeyReused] = 422,
        [RefusalKind.IdempotencyInProgress] = 409,
        [RefusalKind.RateLimited] = 429,
        [RefusalKind.ConsentRequired] = 453,
        [RefusalKind.NumberInUse] = 409,
        [RefusalKind.MessageNotCancelable] = 409,
        [RefusalKind.MediaAlreadyUploaded] = 409,
        [RefusalKind.MmsDisabled] = 503,
        [RefusalKind.Unavailable] = 503,
        [RefusalKind.Unimplemented] = 501,
        [RefusalKind.Internal] = 500,
    }.ToFrozenDictionary();

    public static int HttpStatus(RefusalKind kind) => Statuses[kind];

    /// <summary>The kind a bare HTTP status stands for, for responses no handler wrote.</summary>
    public static RefusalKind ForHttpStatus(int status) => status switch
    {
        400 => RefusalKind.BadRequest,
        401 => RefusalKind.Unauthorized,
        403 => RefusalKind.Forbidden,
        404 => RefusalKind.NotFound,
        405 => RefusalKind.MethodNotAllowed,
        413 => RefusalKind.PayloadTooLarge,
        415 => RefusalKind.UnsupportedMediaType,
        422 => RefusalKind.ValidationFailed,
        429 => RefusalKind.RateLimited,
        501 => RefusalKind.Unimplemented,
        503 => RefusalKind.Unavailable,
        _ => RefusalKind.Internal,
    };
}
