using System.Collections.Concurrent;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// What the REST facade needs to know about one transcoded RPC, worked out once from its
/// descriptor and <c>google.api.http</c> rule: the message its request body and response body
/// hold, and the success status the REST contract gives it.
/// </summary>
public sealed class RestCall
{
    private static readonly ConcurrentDictionary<MethodDescriptor, RestCall> Cache = new();

    // Transcoding always answers 200; these RPCs answer otherwise over REST (docs/API.md section 1;
    // the operator's creations answer 201).
    private static readonly Dictionary<string, (int Status, string? Location)> SuccessOverrides = new(StringComparer.Ordinal)
    {
        ["agentmessage.v1.MessagingService.SendMessage"] = (StatusCodes.Status202Accepted, "/v1/messages/"),
        ["agentmessage.v1.AdminService.CreateOrganization"] = (StatusCodes.Status201Created, "/v1/admin/organizations/"),
        ["agentmessage.v1.AdminService.CreateApiKey"] = (StatusCodes.Status201Created, null),
        ["agentmessage.v1.AdminService.RotateApiKey"] = (StatusCodes.Status201Created, null),
        ["agentmessage.v1.AdminService.AddNumber"] = (StatusCodes.Status201Created, null),
        ["agentmessage.v1.WebhookService.CreateWebhook"] = (StatusCodes.Status201Created, "/v1/webhooks/"),
        ["agentmessage.v1.WebhookService.TestWebhook"] = (StatusCodes.Status202Accepted, null),
    };

    private RestCall(GrpcJsonTranscodingMetadata metadata)
    {
        var method = metadata.MethodDescriptor;
        var rule = metadata.HttpRule;
        RequestBody = rule.Body switch
        {
            "" => null,
            "*" => method.InputType,
            var field => method.InputType.FindFieldByName(field)?.MessageType,
        };
        Query = rule.Body == "*" ? null : method.InputType;
        BodyMayBeEmpty = RequestBody is not null && RequestBody == method.InputType &&
            RequestBody.Fields.InDeclarationOrder().All(field => PathOf(rule).Contains($"{{{field.Name}}}", StringComparison.Ordinal));
        ResponseBody = string.IsNullOrEmpty(rule.ResponseBody) ? method.OutputType : method.OutputType.FindFieldByName(rule.ResponseBody).MessageType;
        IsServerStreaming = method.IsServerStreaming;
        (SuccessStatus, LocationPrefix) = SuccessOverrides.GetValueOrDefault(method.FullName, (StatusCodes.Status200OK, null));
    }

    /// <summary>The message the JSON request body holds, or null when the RPC takes no body.</summary>
    public MessageDescriptor? RequestBody { get; }

    /// <summary>
    /// Whether a request may come without a body: the route names every field the body could set
    /// (an action such as <c>POST /v1/messages/{id}:cancel</c>), so a client need not send <c>{}</c>.
    /// </summary>
    public bool BodyMayBeEmpty { get; }

    /// <summary>The message whose fields the query string may set, or null when the body holds them all.</summary>
    public MessageDescriptor? Query { get; }

    /// <summary>The message the JSON response body (or each streamed line) holds.</summary>
    public MessageDescriptor ResponseBody { get; }

    public bool IsServerStreaming { get; }

    public int SuccessStatus { get; }

    /// <summary>When set, a success carries <c>Location: {prefix}{data.id}</c>.</summary>
    public string? LocationPrefix { get; }

    private static string PathOf(Google.Api.HttpRule rule) => rule.PatternCase switch
    {
        Google.Api.HttpRule.PatternOneofCase.Get => rule.Get,
        Google.Api.HttpRule.PatternOneofCase.Post => rule.Post,
        Google.Api.HttpRule.PatternOneofCase.Put => rule.Put,
        Google.Api.HttpRule.PatternOneofCase.Patch => rule.Patch,
        Google.Api.HttpRule.PatternOneofCase.Delete => rule.Delete,
        Google.Api.HttpRule.PatternOneofCase.Custom => rule.Custom.Path,
        _ => string.Empty,
    };

    public static RestCall For(GrpcJsonTranscodingMetadata metadata) => Cache.GetOrAdd(metadata.MethodDescriptor, static (_, m) => new RestCall(m), metadata);
}
