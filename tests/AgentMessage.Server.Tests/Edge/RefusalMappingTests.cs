using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.Server.Edge.Rest;
using Grpc.Core;

namespace AgentMessage.Server.Tests.Edge;

/// <summary>Each face maps every refusal kind, and the two columns say what docs/API.md section 3 says.</summary>
public sealed class RefusalMappingTests
{
    private static readonly (string Code, int Http, StatusCode Grpc)[] Rows =
    [
        ("UNAUTHORIZED", 401, StatusCode.Unauthenticated),
        ("FORBIDDEN", 403, StatusCode.PermissionDenied),
        ("NOT_FOUND", 404, StatusCode.NotFound),
        ("METHOD_NOT_ALLOWED", 405, StatusCode.Unimplemented),
        ("BAD_REQUEST", 400, StatusCode.InvalidArgument),
        ("PAYLOAD_TOO_LARGE", 413, StatusCode.InvalidArgument),
        ("UNSUPPORTED_MEDIA_TYPE", 415, StatusCode.InvalidArgument),
        ("VALIDATION_FAILED", 422, StatusCode.InvalidArgument),
        ("LINE_TYPE_BLOCKED", 422, StatusCode.FailedPrecondition),
        ("IDEMPOTENCY_KEY_REUSED", 422, StatusCode.FailedPrecondition),
        ("IDEMPOTENCY_IN_PROGRESS", 409, StatusCode.Aborted),
        ("RATE_LIMITED", 429, StatusCode.ResourceExhausted),
        ("CONSENT_REQUIRED", 453, StatusCode.FailedPrecondition),
        ("NUMBER_IN_USE", 409, StatusCode.AlreadyExists),
        ("MESSAGE_NOT_CANCELABLE", 409, StatusCode.FailedPrecondition),
        ("MEDIA_ALREADY_UPLOADED", 409, StatusCode.AlreadyExists),
        ("MMS_DISABLED", 503, StatusCode.Unavailable),
        ("UNAVAILABLE", 503, StatusCode.Unavailable),
        ("UNIMPLEMENTED", 501, StatusCode.Unimplemented),
        ("INTERNAL", 500, StatusCode.Internal),
    ];

    public static TheoryData<string, int, StatusCode> Table => new(Rows);

    [Theory]
    [MemberData(nameof(Table))]
    public void EveryKind_MapsToTheDocumentedStatusOnBothFaces(string code, int http, StatusCode grpc)
    {
        var kind = Assert.Single(RefusalKind.All, k => k.Code == code);

        Assert.Equal(http, RestRefusals.HttpStatus(kind));
        Assert.Equal(grpc, GrpcRefusals.StatusCodeOf(kind));
    }

    [Fact]
    public void TheTable_CoversEveryKind()
    {
        var documented = Rows.Select(row => row.Code);

        Assert.Equal(documented.Order(), RefusalKind.All.Select(k => k.Code).Order());
    }

    [Fact]
    public void StoreOutage_IsUnavailableWithItsRetryDelay()
    {
        var refusal = Refusal.Of(new StoreUnavailableException("Redis", TimeSpan.FromSeconds(3)));

        Assert.NotNull(refusal);
        Assert.Same(RefusalKind.Unavailable, refusal.Kind);
        Assert.Equal(TimeSpan.FromSeconds(3), refusal.RetryAfter);
        Assert.Null(Refusal.Of(new InvalidOperationException("a fault, not a refusal")));
    }
}
