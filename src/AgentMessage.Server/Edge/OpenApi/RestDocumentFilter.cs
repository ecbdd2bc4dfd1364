using AgentMessage.Server.Edge.Rest;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>
/// Rewrites the schemas the generator made from the proto messages to what the REST facade writes
/// (lower-case enumeration names without their prefix, RFC 3339 timestamps), adds the envelope's
/// schemas and the two bearer schemes, and drops what no operation refers to (the generator's
/// <c>google.rpc.Status</c> and the well-known types behind it).
/// </summary>
public sealed class RestDocumentFilter : IDocumentFilter
{
    private const string TimestampType = "google.protobuf.Timestamp";

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var methods = context.ApiDescriptions
            .Select(d => d.ActionDescriptor.EndpointMetadata.OfType<GrpcJsonTranscodingMetadata>().FirstOrDefault()?.MethodDescriptor)
            .OfType<MethodDescriptor>()
            .Distinct()
            .ToList();
        var (messages, enums) = Reachable(methods);

        document.Info.Description = DocumentDescription;
        // Relative: the paths are served by whatever host serves this document (the REST listener).
        document.Servers = [new OpenApiServer { Url = "/", Description = "The server that serves this document." }];
        document.Components ??= new OpenApiComponents();
        var components = document.Components;
        components.SecuritySchemes[RestOperationFilter.ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "am_live_<32 letters and digits>",
            Description = "An organization's API key: `Authorization: Bearer am_live_...`. Each operation names the scope the key must " +
                "carry (`x-required-scope`; docs/API.md section 4).",
        };
        components.SecuritySchemes[RestOperationFilter.OperatorScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The operator token (`AgentMessage:Admin:Token`), for the operator API under /v1/admin. An API key is refused there.",
        };
        OpenApiSchemas.AddTo(components);

        foreach (var (id, schema) in components.Schemas)
        {
            schema.Description = OpenApiText.Clean(schema.Description) is { Length: > 0 } text ? text : schema.Description;
            if (enums.TryGetValue(id, out var enumType))
            {
                RewriteEnum(schema, enumType);
            }
            else if (messages.TryGetValue(id, out var message))
            {
                RewriteMessage(schema, message);
            }
        }

        foreach (var tag in document.Tags ?? [])
        {
            tag.Description = OpenApiText.Clean(tag.Description);
        }

        ShareErrorResponses(document);
        DropUnreferencedSchemas(document);
    }

    private const string DocumentDescription =
        "The REST face of AgentMessage, generated from the proto contract (`protos/agentmessage/v1/`) and corrected to what the " +
        "service answers; docs/API.md is the reference and docs/OPENAPI.md says what this document leaves out.\n\n" +
        "Every response body is an envelope: `{\"success\": true, \"data\": ...}` or `{\"success\": false, \"error\": {\"code\", " +
        "\"message\", \"request_id\", \"details\"?}}`. Field names are snake_case; enumerations are the lower-case value name without " +
        "its prefix (`queued`, `sms`); timestamps are RFC 3339 in UTC. Requests also accept the full protobuf enumeration name, " +
        "in any case, and ignore unknown fields.";

    private static void RewriteEnum(OpenApiSchema schema, EnumDescriptor enumType)
    {
        schema.Enum = [.. enumType.Values.Select(v => (IOpenApiAny)new OpenApiString(ProtoJsonEnums.ToRestName(v)))];
        if (enumType.Values.Any(v => ProtoJsonEnums.ToRestName(v) == "unspecified"))
        {
            schema.Description = (schema.Description ?? string.Empty) +
                "\n\n`unspecified` is the zero value: a response carries it where nothing applies (an MMS without text has encoding " +
                "`unspecified`); a request never sends it (leave the field out).";
        }
    }

    private static void RewriteMessage(OpenApiSchema schema, MessageDescriptor message)
    {
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            if (!schema.Properties.TryGetValue(field.JsonName, out var property))
            {
                continue;
            }

            property.Description = OpenApiText.Clean(property.Description);
            if (field.FieldType == FieldType.Message && field.MessageType.FullName == TimestampType && !field.IsRepeated)
            {
                property.Format = "date-time";
            }

            if (field.IsMap && property.AdditionalProperties is { } values)
            {
                // A protobuf map never holds null.
                values.Nullable = false;
            }
        }
    }

    private static (Dictionary<string, MessageDescriptor> Messages, Dictionary<string, EnumDescriptor> Enums) Reachable(IEnumerable<MethodDescriptor> methods)
    {
        var messages = new Dictionary<string, MessageDescriptor>(StringComparer.Ordinal);
        var enums = new Dictionary<string, EnumDescriptor>(StringComparer.Ordinal);
        var pending = new Stack<MessageDescriptor>(methods.SelectMany(m => new[] { m.InputType, m.OutputType }));
        while (pending.TryPop(out var message))
        {
            if (!messages.TryAdd(message.Name, message))
            {
                continue;
            }

            foreach (var field in message.Fields.InDeclarationOrder())
            {
                if (field.FieldType == FieldType.Message)
                {
                    pending.Push(field.MessageType);
                }
                else if (field.FieldType == FieldType.Enum)
                {
                    enums.TryAdd(field.EnumType.Name, field.EnumType);
                }
            }
        }

        return (messages, enums);
    }

    /// <summary>
    /// Moves each distinct error response to the components, named after its codes
    /// (<c>VALIDATION_FAILED_or_LINE_TYPE_BLOCKED</c>; <c>_WithRateLimit</c> when it carries the
    /// <c>RateLimit-*</c> headers), so operations refer to a handful of shared responses instead of
    /// repeating them. An error response is a function of its codes and those headers alone.
    /// </summary>
    private static void ShareErrorResponses(OpenApiDocument document)
    {
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations.Values))
        {
            foreach (var (status, response) in operation.Responses.ToList())
            {
                if (status.StartsWith('2') || response.Reference is not null || response.Content.Values.FirstOrDefault()?.Schema is not { } schema
                    || !schema.Properties.TryGetValue("error", out var error) || error.AllOf.Count < 2)
                {
                    continue;
                }

                var codes = error.AllOf[1].Properties["code"].Enum.OfType<OpenApiString>().Select(c => c.Value);
                var name = string.Join("_or_", codes) + (response.Headers.ContainsKey("RateLimit-Limit") ? "_WithRateLimit" : string.Empty);
                document.Components.Responses.TryAdd(name, response);
                operation.Responses[status] = new OpenApiResponse { Reference = new OpenApiReference { Type = ReferenceType.Response, Id = name } };
            }
        }
    }

    private static void DropUnreferencedSchemas(OpenApiDocument document)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<OpenApiSchema>();
        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations.Values))
        {
            foreach (var parameter in operation.Parameters)
            {
                pending.Push(parameter.Schema);
            }

            foreach (var media in (operation.RequestBody?.Content.Values ?? []).Concat(operation.Responses.Values.SelectMany(r => r.Content.Values)))
            {
                pending.Push(media.Schema);
            }
        }

        foreach (var media in document.Components.Responses.Values.SelectMany(r => r.Content.Values))
        {
            pending.Push(media.Schema);
        }

        while (pending.TryPop(out var schema))
        {
            if (schema is null)
            {
                continue;
            }

            if (schema.Reference is { Type: ReferenceType.Schema } reference)
            {
                if (reached.Add(reference.Id) && document.Components.Schemas.TryGetValue(reference.Id, out var target))
                {
                    Push(target, pending);
                }

                continue;
            }

            Push(schema, pending);
        }

        foreach (var id in document.Components.Schemas.Keys.Where(id => !reached.Contains(id)).ToList())
        {
            document.Components.Schemas.Remove(id);
        }

        static void Push(OpenApiSchema schema, Stack<OpenApiSchema> pending)
        {
            foreach (var child in schema.Properties.Values.Concat(schema.AllOf).Concat(schema.OneOf).Concat(schema.AnyOf)
                .Append(schema.Items).Append(schema.AdditionalProperties).Append(schema.Not))
            {
                if (child is not null)
                {
                    pending.Push(child);
                }
            }
        }
    }
}
