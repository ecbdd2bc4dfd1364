using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.OpenApi.Any;
using Microsoft.OpenApi.Models;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace AgentMessage.Server.Edge.OpenApi;

/// <summary>
/// Rewrites each transcoded operation from what raw transcoding would answer (200 with the bare
/// message, a <c>google.rpc.Status</c> on error) to what the REST facade answers: the success status
/// and <c>Location</c> of <see cref="RestCall"/>, the envelope, the refusals the RPC can give with
/// their codes and headers, the caller's credential and scope, and the idempotency header.
/// </summary>
public sealed class RestOperationFilter : IOperationFilter
{
    public const string ApiKeyScheme = "ApiKey";
    public const string OperatorScheme = "OperatorToken";
    public const string RequiredScopeExtension = "x-required-scope";
    public const string AdminOnlyExtension = "x-admin-only";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<GrpcJsonTranscodingMetadata>().FirstOrDefault();
        if (metadata is null)
        {
            return;
        }

        var method = metadata.MethodDescriptor;
        var call = RestCall.For(metadata);
        var facts = RestOperationFacts.For(method);
        var scope = RestOperationFacts.RequiredScope(method);
        var adminOnly = RestOperationFacts.AdminOnly(method);

        // An additional binding (DELETE /v1/consents/{number} beside POST ...:revoke) is the same RPC
        // on another route: its id names the verb, so operation ids stay unique.
        var primary = method.GetOptions()?.GetExtension(Google.Api.AnnotationsExtensions.Http);
        operation.OperationId = primary is null || primary.Equals(metadata.HttpRule)
            ? method.Name
            : $"{method.Name}Via{char.ToUpperInvariant(context.ApiDescription.HttpMethod![0])}{context.ApiDescription.HttpMethod[1..].ToLowerInvariant()}";
        var text = OpenApiText.Clean(operation.Summary);
        operation.Summary = OpenApiText.FirstSentence(text);
        operation.Description = string.Join("\n\n", new[] { text, AccessLine(scope, adminOnly) }.Where(t => t.Length > 0));
        if (scope is not null)
        {
            operation.Extensions[RequiredScopeExtension] = new OpenApiString(scope);
        }

        if (adminOnly)
        {
            operation.Extensions[AdminOnlyExtension] = new OpenApiBoolean(true);
        }

        // OpenAPI 3.0 allows scopes in a security requirement only for OAuth2 and OpenID Connect, so
        // the scope travels as x-required-scope and in the description.
        operation.Security =
        [
            new OpenApiSecurityRequirement { [SchemeReference(adminOnly ? OperatorScheme : ApiKeyScheme)] = [] },
        ];

        foreach (var parameter in operation.Parameters)
        {
            parameter.Description = OpenApiText.Clean(parameter.Description);
        }

        if (facts.Idempotent)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyHeader.Name,
                In = ParameterLocation.Header,
                Required = false,
                Description = "Makes a retry safe: the same key with the same request within 24 hours answers the first success again " +
                    "(with `Idempotent-Replayed: true`); with a different request it is 422 IDEMPOTENCY_KEY_REUSED, while the first " +
                    "still runs 409 IDEMPOTENCY_IN_PROGRESS. 1-255 printable ASCII characters (docs/API.md section 6).",
                Schema = new OpenApiSchema { Type = "string", MinLength = 1, MaxLength = 255, Pattern = "^[\\x20-\\x7E]+$" },
            });
        }

        if (operation.RequestBody is { } body)
        {
            // An action whose route names every field (POST /v1/messages/{id}:cancel) may come without a body.
            body.Required = !call.BodyMayBeEmpty;
            body.Description = call.BodyMayBeEmpty ? "Optional: `{}` or no body at all." : null;
        }

        var data = operation.Responses.Values.SelectMany(r => r.Content.Values).Select(c => c.Schema).FirstOrDefault(s => s?.Reference?.Id != "Status");
        operation.Responses = new OpenApiResponses
        {
            [call.SuccessStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)] = call.IsServerStreaming
                ? StreamResponse(data)
                : SuccessResponse(call, facts, data),
        };

        foreach (var group in Refusals(call, facts, adminOnly, operation).GroupBy(RestRefusals.HttpStatus).OrderBy(g => g.Key))
        {
            operation.Responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ErrorResponse(group.Key, [.. group.Distinct()], facts);
        }
    }

    /// <summary>The refusals this operation can answer, from its shape and from <see cref="RestOperationFacts"/>.</summary>
    private static IEnumerable<RefusalKind> Refusals(RestCall call, RestOperationFacts facts, bool adminOnly, OpenApiOperation operation)
    {
        yield return RefusalKind.Unauthorized;
        if (!adminOnly)
        {
            // A key without the scope; an RPC that names no scope is refused to every key.
            yield return RefusalKind.Forbidden;
        }

        if (adminOnly || (facts.NamesResource && operation.Parameters.Any(p => p.In == ParameterLocation.Path)))
        {
            // The resource the path names does not exist (or is another organization's); the
            // operator API answers 404 while no operator token is configured.
            yield return RefusalKind.NotFound;
        }

        if (call.RequestBody is not null)
        {
            yield return RefusalKind.BadRequest;
            yield return RefusalKind.PayloadTooLarge;
        }

        if (facts.Validates && (call.RequestBody is not null || operation.Parameters.Any(p => p.In is ParameterLocation.Query or ParameterLocation.Path)))
        {
            yield return RefusalKind.ValidationFailed;
        }

        if (facts.Idempotent)
        {
            yield return RefusalKind.IdempotencyKeyReused;
            yield return RefusalKind.IdempotencyInProgress;
        }

        if (facts.RateLimited)
        {
            yield return RefusalKind.RateLimited;
        }

        foreach (var kind in facts.Refusals)
        {
            yield return kind;
        }

        yield return RefusalKind.Unavailable;
        yield return RefusalKind.Internal;
    }

    private static string AccessLine(string? scope, bool adminOnly) =>
        adminOnly ? "**Operator API:** takes the operator token (`AgentMessage:Admin:Token`), never an API key."
        : scope is not null ? $"**Required scope:** `{scope}`."
        : "**No access rule:** refused to every caller with 403 FORBIDDEN.";

    private static OpenApiResponse SuccessResponse(RestCall call, RestOperationFacts facts, OpenApiSchema? data)
    {
        var response = new OpenApiResponse
        {
            Description = call.SuccessStatus switch
            {
                201 => "Created.",
                202 => "Accepted.",
                _ => "OK.",
            },
            Headers = { [OpenApiSchemas.RequestIdHeader] = HeaderReference(OpenApiSchemas.RequestIdHeader) },
            Content = { [RestEnvelope.JsonContentType] = new OpenApiMediaType { Schema = OpenApiSchemas.Success(data) } },
        };
        if (call.LocationPrefix is not null)
        {
            response.Headers["Location"] = new OpenApiHeader
            {
                Description = $"`{call.LocationPrefix}{{id}}`: where the created resource is read.",
                Required = true,
                Schema = new OpenApiSchema { Type = "string" },
            };
        }

        if (facts.RateLimited)
        {
            AddRateLimitHeaders(response, "Present when the call took a token; absent on an idempotent replay.");
        }

        if (facts.Idempotent)
        {
            response.Headers[IdempotencyHeader.Replayed] = new OpenApiHeader
            {
                Description = "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
                Schema = new OpenApiSchema { Type = "string", Enum = [new OpenApiString("true")] },
            };
        }

        return response;
    }

    private static OpenApiResponse StreamResponse(OpenApiSchema? data) => new()
    {
        Description = "A stream of newline-delimited JSON, one compact object per line, flushed as it happens: a status " +
            "event (no envelope), a `{\"heartbeat\": \"<time>\"}` line every 15 s that is not an event (skip lines without " +
            "`event_id`), and, when the stream fails after it started (key revoked, server shutting down), a last line " +
            "that is the error envelope. The schema describes one line. A refusal before the first line is an ordinary " +
            "error response (below).",
        Headers = { [OpenApiSchemas.RequestIdHeader] = HeaderReference(OpenApiSchemas.RequestIdHeader) },
        Content =
        {
            [RestEnvelope.JsonContentType] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema
                {
                    OneOf =
                    [
                        data ?? new OpenApiSchema { Type = "object" },
                        OpenApiSchemas.Reference(OpenApiSchemas.HeartbeatSchema),
                        OpenApiSchemas.Reference(OpenApiSchemas.ErrorEnvelopeSchema),
                    ],
                },
            },
        },
        Extensions = { ["x-ndjson"] = new OpenApiBoolean(true) },
    };

    private static OpenApiResponse ErrorResponse(int status, IReadOnlyList<RefusalKind> kinds, RestOperationFacts facts)
    {
        var response = new OpenApiResponse
        {
            Description = string.Join("; ", kinds.Select(k => $"`{k.Code}` ({k.DefaultMessage})")) + ".",
            Headers = { [OpenApiSchemas.RequestIdHeader] = HeaderReference(OpenApiSchemas.RequestIdHeader) },
            Content = { [RestEnvelope.JsonContentType] = new OpenApiMediaType { Schema = OpenApiSchemas.ErrorBody(kinds.Select(k => k.Code)) } },
        };
        if (kinds.Contains(RefusalKind.Unauthorized))
        {
            response.Headers["WWW-Authenticate"] = new OpenApiHeader { Required = true, Schema = new OpenApiSchema { Type = "string", Example = new OpenApiString("Bearer") } };
        }

        if (status == 429)
        {
            response.Headers["Retry-After"] = RetryAfter(required: true);
        }
        else if (kinds.Contains(RefusalKind.IdempotencyInProgress) || kinds.Contains(RefusalKind.Unavailable))
        {
            response.Headers["Retry-After"] = RetryAfter(required: false);
        }

        if (facts.RateLimited && status is 422 or 429 or 453)
        {
            AddRateLimitHeaders(response, "Present when the refusal came at or after the rate-limit step (docs/API.md section 5).");
        }

        return response;
    }

    private static OpenApiHeader RetryAfter(bool required) => new()
    {
        Description = "Seconds to wait before retrying, rounded up, at least 1.",
        Required = required,
        Schema = new OpenApiSchema { Type = "integer", Minimum = 1 },
    };

    private static void AddRateLimitHeaders(OpenApiResponse response, string when)
    {
        response.Headers["RateLimit-Limit"] = new OpenApiHeader { Description = "The bucket's burst. " + when, Schema = new OpenApiSchema { Type = "integer" } };
        response.Headers["RateLimit-Remaining"] = new OpenApiHeader { Description = "Whole tokens left. " + when, Schema = new OpenApiSchema { Type = "integer" } };
        response.Headers["RateLimit-Reset"] = new OpenApiHeader { Description = "Seconds, rounded up, until the bucket is full again. " + when, Schema = new OpenApiSchema { Type = "integer" } };
    }

    private static OpenApiHeader HeaderReference(string id) => new() { Reference = new OpenApiReference { Type = ReferenceType.Header, Id = id } };

    private static OpenApiSecurityScheme SchemeReference(string id) => new() { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = id } };
}
