using AgentMessage.Core.Refusals;
using AgentMessage.V1;
using Google.Protobuf.Reflection;

namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>
/// What the OpenAPI document says about one RPC beyond its <c>google.api.http</c> rule: who may call
/// it (from the <c>required_scope</c> and <c>admin_only</c> method options) and the refusals only some
/// RPCs can give (docs/API.md sections 3 to 8). Every other refusal follows from the RPC's shape
/// (<see cref="RestOperationFilter"/>), so an RPC added to the proto is described without a line here.
/// </summary>
public sealed class RestOperationFacts
{
    // Only SendMessage and CreateMediaUpload read Idempotency-Key and take a rate-limit token
    // (docs/API.md sections 6 and 7); other RPCs ignore the header.
    private static readonly Dictionary<string, RestOperationFacts> Specific = new(StringComparer.Ordinal)
    {
        ["agentmessage.v1.MessagingService.SendMessage"] = new(idempotent: true, rateLimited: true,
            refusals: [RefusalKind.ConsentRequired, RefusalKind.LineTypeBlocked, RefusalKind.MmsDisabled]),
        ["agentmessage.v1.MessagingService.CreateMediaUpload"] = new(idempotent: true, rateLimited: true, refusals: [RefusalKind.MmsDisabled]),

        // An id that is not a message's is NOT_FOUND, whatever its shape (section 5).
        ["agentmessage.v1.MessagingService.GetMessage"] = new(validates: false),
        ["agentmessage.v1.MessagingService.CancelMessage"] = new(validates: false, refusals: [RefusalKind.MessageNotCancelable]),

        // A named message that is not the caller's; over the cap of open streams (section 9).
        ["agentmessage.v1.MessagingService.StreamStatus"] = new(refusals: [RefusalKind.NotFound, RefusalKind.RateLimited]),

        // The number in the path is looked up, not read from storage: any E.164 number answers.
        ["agentmessage.v1.LookupService.LookupNumber"] = new(namesResource: false),
        ["agentmessage.v1.AdminService.AddNumber"] = new(refusals: [RefusalKind.NumberInUse]),

        // The id in the path is looked up and nothing else is read: an unknown id is NOT_FOUND.
        ["agentmessage.v1.WebhookService.GetWebhook"] = new(validates: false),
        ["agentmessage.v1.WebhookService.DeleteWebhook"] = new(validates: false),
        ["agentmessage.v1.WebhookService.RotateWebhookSecret"] = new(validates: false),
        ["agentmessage.v1.WebhookService.TestWebhook"] = new(validates: false),
    };

    private static readonly RestOperationFacts Plain = new();

    private RestOperationFacts(bool idempotent = false, bool rateLimited = false, bool validates = true, bool namesResource = true, RefusalKind[]? refusals = null)
    {
        Idempotent = idempotent;
        RateLimited = rateLimited;
        Validates = validates;
        NamesResource = namesResource;
        Refusals = refusals ?? [];
    }

    /// <summary>Whether its fields can be VALIDATION_FAILED (when it has any).</summary>
    public bool Validates { get; }

    /// <summary>Whether the path's parameters name a stored resource, which may not exist (404).</summary>
    public bool NamesResource { get; }

    /// <summary>Honours the <c>Idempotency-Key</c> header (docs/API.md section 6).</summary>
    public bool Idempotent { get; }

    /// <summary>Takes a token of the organization's bucket: <c>RateLimit-*</c> headers, 429 (section 7).</summary>
    public bool RateLimited { get; }

    /// <summary>Refusals this RPC gives besides the ones every RPC of its shape gives.</summary>
    public IReadOnlyList<RefusalKind> Refusals { get; }

    public static RestOperationFacts For(MethodDescriptor method) => Specific.GetValueOrDefault(method.FullName, Plain);

    /// <summary>The API-key scope the RPC requires, or null (operator RPCs, and RPCs refused to everyone).</summary>
    public static string? RequiredScope(MethodDescriptor method) =>
        method.GetOptions()?.GetExtension(AccessExtensions.RequiredScope) is { Length: > 0 } scope ? scope : null;

    /// <summary>Whether the RPC takes the operator token instead of an API key.</summary>
    public static bool AdminOnly(MethodDescriptor method) => method.GetOptions()?.GetExtension(AccessExtensions.AdminOnly) == true;
}
