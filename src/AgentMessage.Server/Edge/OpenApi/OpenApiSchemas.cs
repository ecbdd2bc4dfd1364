using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;

namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>The envelope's schemas (docs/API.md section 2), shared by every operation.</summary>
public static class OpenApiSchemas
{
    public const string ErrorSchema = "Error";
    public const string ErrorEnvelopeSchema = "ErrorEnvelope";
    public const string HeartbeatSchema = "Heartbeat";
    public const string RequestIdHeader = "X-Request-Id";

    public static OpenApiSchema Reference(string id) => new() { Reference = new OpenApiReference { Type = ReferenceType.Schema, Id = id } };

    /// <summary><c>{"success": true, "data": ...}</c>.</summary>
    public static OpenApiSchema Success(OpenApiSchema? data) => new()
    {
        Type = "object",
        Required = new HashSet<string> { "success", "data" },
        AdditionalPropertiesAllowed = false,
        Properties =
        {
            ["success"] = new OpenApiSchema { Type = "boolean", Enum = [new OpenApiBoolean(true)] },
            ["data"] = data ?? new OpenApiSchema { Type = "object" },
        },
    };

    /// <summary>The error envelope with <c>error.code</c> one of <paramref name="codes"/>.</summary>
    public static OpenApiSchema ErrorBody(IEnumerable<string> codes) => new()
    {
        Type = "object",
        Required = new HashSet<string> { "success", "error" },
        AdditionalPropertiesAllowed = false,
        Properties =
        {
            ["success"] = new OpenApiSchema { Type = "boolean", Enum = [new OpenApiBoolean(false)] },
            ["error"] = new OpenApiSchema
            {
                AllOf =
                [
                    Reference(ErrorSchema),
                    new OpenApiSchema
                    {
                        Type = "object",
                        Properties = { ["code"] = new OpenApiSchema { Type = "string", Enum = [.. codes.Select(c => (IOpenApiAny)new OpenApiString(c))] } },
                    },
                ],
            },
        },
    };

    /// <summary>The shared components: the error object, the error envelope, a heartbeat line, the request id header.</summary>
    public static void AddTo(OpenApiComponents components)
    {
        components.Schemas[ErrorSchema] = new OpenApiSchema
        {
            Type = "object",
            Description = "What went wrong (docs/API.md section 3).",
            Required = new HashSet<string> { "code", "message", "request_id" },
            AdditionalPropertiesAllowed = false,
            Properties =
            {
                ["code"] = new OpenApiSchema { Type = "string", Description = "The error code, a row of the error table, e.g. `CONSENT_REQUIRED`." },
                ["message"] = new OpenApiSchema { Type = "string", Description = "A sentence for people; may be more specific than the code's default message." },
                ["request_id"] = new OpenApiSchema { Type = "string", Description = "The call's request id, also sent as `X-Request-Id`: a ULID." },
                ["details"] = new OpenApiSchema
                {
                    Type = "object",
                    Description = "Present only when there is something to say: for VALIDATION_FAILED each field path and its problem " +
                        "(`{\"to\": \"must be E.164\"}`); for FORBIDDEN the missing `scope`; for a refused stream `limit` and `scope`.",
                    AdditionalProperties = new OpenApiSchema { Type = "string" },
                },
            },
        };
        components.Schemas[ErrorEnvelopeSchema] = new OpenApiSchema
        {
            Type = "object",
            Description = "Every error response: `{\"success\": false, \"error\": {...}}`.",
            Required = new HashSet<string> { "success", "error" },
            AdditionalPropertiesAllowed = false,
            Properties =
            {
                ["success"] = new OpenApiSchema { Type = "boolean", Enum = [new OpenApiBoolean(false)] },
                ["error"] = Reference(ErrorSchema),
            },
        };
        components.Schemas[HeartbeatSchema] = new OpenApiSchema
        {
            Type = "object",
            Description = "A line a status stream sends every 15 s while idle; not an event.",
            Required = new HashSet<string> { "heartbeat" },
            AdditionalPropertiesAllowed = false,
            Properties = { ["heartbeat"] = new OpenApiSchema { Type = "string", Format = "date-time" } },
        };
        components.Headers[RequestIdHeader] = new OpenApiHeader
        {
            Description = "The call's request id (a ULID), also in error bodies and the server's log line.",
            Required = true,
            Schema = new OpenApiSchema { Type = "string", MinLength = 26, MaxLength = 26 },
        };
    }
}
