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
            RefusalKind.ConsentRequired, RefusalKind.LineTypeBlocked, RefusalKind.MmsDisabled),
        ["agentmessage.v1.MessagingService.CreateMediaUpload"] = new(idempotent: true, rateLimited: true, RefusalKind.MmsDisabled),
        ["agentmessage.v1.MessagingService.CancelMessage"] = new(idempotent: false, rateLimited: false, RefusalKind.MessageNotCancelable),

        // A stream over its key's or organization's cap of open streams (docs/API.md section 9).
        ["agentmessage.v1.MessagingService.StreamStatus"] = new(idempotent: false, rateLimited: false, RefusalKind.RateLimited),
        ["agentmessage.v1.AdminService.AddNumber"] = new(idempotent: false, rateLimited: false, RefusalKind.NumberInUse),
    };

    private static readonly RestOperationFacts Plain = new(idempotent: false, rateLimited: false);

    private RestOperationFacts(bool idempotent, bool rateLimited, params RefusalKind[] refusals)
    {
        Idempotent = idempotent;
        RateLimited = rateLimited;
        Refusals = refusals;
    }

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
