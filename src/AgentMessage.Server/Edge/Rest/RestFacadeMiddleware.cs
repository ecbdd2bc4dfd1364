using System.Text.Json;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Grpc;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// The one place where JSON transcoding's output becomes the documented REST API. Around every
/// transcoded call it
/// <list type="bullet">
/// <item>checks the body (JSON content type, at most 64 KiB, UTF-8, a JSON object, each field's value
/// of a JSON type the field can hold) and turns lower-case enum names into protobuf ones; a null
/// list is passed on as an empty one; a body problem is held back and raised by the interceptor after
/// authentication, so the order of checks is the same on both faces;</item>
/// <item>wraps the result in the envelope with the contract's status code, lower-case enums and
/// the error table's codes, whatever transcoding itself would have written.</item>
/// </list>
/// A REST path gets this whatever the request's content type (a gRPC one included: it is then a
/// body of the wrong type), and a gRPC method's path called without gRPC's framing is refused in the
/// envelope too, so only native gRPC calls are ever answered in gRPC's own form.
/// </summary>
public sealed class RestFacadeMiddleware(RequestDelegate next, ILogger<RestFacadeMiddleware> logger)
{
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The answer to a body transcoding could not bind, whatever it said about it.</summary>
    public const string UnboundBody = "request body does not fit the request: a value has the wrong type or is out of range";

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var metadata = endpoint?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (metadata is null)
        {
            var grpcFraming = GrpcRequest.IsGrpcTransport(context.Request);
            if (endpoint is null && grpcFraming)
            {
                // A gRPC call of a method no service has (grpc-dotnet's catch-all route is off).
                GrpcRefusals.AnswerUnknownMethod(context);
                return;
            }

            // A method's path, or gRPC's content type on a path no method has, without gRPC's framing.
            if (!grpcFraming && (GrpcRequest.IsGrpcEndpoint(endpoint) || (endpoint is null && GrpcRequest.HasGrpcContentType(context.Request.ContentType))))
            {
                await RefuseNonGrpcCallAsync(context);
                return;
            }

            await next(context);
            return;
        }

        var call = RestCall.For(metadata);
        RewriteQuery(context, call);

        // The request body lives in this buffer until transcoding has read it.
        using var requestBody = call.RequestBody is null ? null : await RewriteBodyAsync(context, call);

        var original = context.Response.Body;
        await using Stream capture = call.IsServerStreaming
            ? new StreamingCapture(context, original, call.ResponseBody)
            : new PooledBuffer(1024);
        context.Response.Body = capture;
        try
        {
            await next(context);
            if (capture is StreamingCapture { IsPassingThrough: true } streaming)
            {
                await streaming.FlushRemainderAsync(context.RequestAborted);
                return;
            }
        }
        finally
        {
            context.Response.Body = original;
        }

        var written = capture is StreamingCapture streamed ? streamed.Held : ((PooledBuffer)capture).WrittenMemory;
        await FinishAsync(context, call, written);
    }

    /// <summary>
    /// A gRPC method's path called without gRPC's framing: another content type (415, as the gRPC
    /// over HTTP/2 protocol asks of servers), or gRPC's content type over HTTP/1.1, to a method or
    /// to a path no method has (grpc-dotnet's own answers are an empty 415 or 426 with grpc-status
    /// INTERNAL, which no such client reads).
    /// </summary>
    private static async Task RefuseNonGrpcCallAsync(HttpContext context)
    {
        var refusal = GrpcRequest.HasGrpcContentType(context.Request.ContentType)
            ? new Refusal(RefusalKind.BadRequest, "gRPC needs HTTP/2: call the gRPC listener, or the REST paths under /v1 over HTTP/1.1")
            : new Refusal(RefusalKind.UnsupportedMediaType, "content type must be application/grpc on a gRPC method; REST clients call the paths under /v1");
        EdgeRefusals.Record(context, refusal);
        await RestEnvelope.WriteErrorAsync(context, refusal);
    }

    private async Task FinishAsync(HttpContext context, RestCall call, ReadOnlyMemory<byte> written)
    {
        // A failure the call recorded is its answer, whether transcoding then wrote an error (a
        // thrown one) or the empty response of a refusal returned as a value (CallRefusal).
        if (CallState.Of(context).Refusal is { } failure)
        {
            await RestEnvelope.WriteErrorAsync(context, failure);
            return;
        }

        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            // Transcoding refused the call itself (a body it could not bind that the facade's
            // checks let through, for example): its google.rpc.Status body names the gRPC code;
            // the table gives the REST code. Its message is the deserializer's, .NET type names
            // and all, so it goes to the debug log and never to the client.
            var (code, message) = ReadStatus(written.Span);
            var error = code is { } grpc ? GrpcRefusals.ForStatusCode(grpc) : RestRefusals.ForHttpStatus(context.Response.StatusCode);
            logger.LogDebug("Transcoding answered {Status} with gRPC code {Code}: {Message}", context.Response.StatusCode, code, message);
            await RestEnvelope.WriteErrorAsync(context, error, error == RefusalKind.BadRequest ? UnboundBody : error.DefaultMessage, null);
            return;
        }

        // Transcoding wrote compact JSON with the envelope's own escaping, so its bytes go out as
        // they are, between the envelope's, with only the enum values replaced.
        using var body = new PooledBuffer(written.Length + 64);
        body.Write(RestEnvelope.SuccessPrefix);
        var id = ProtoJsonEnums.WriteOutgoing(written.Span, call.ResponseBody, body, captureRootId: call.LocationPrefix is not null);
        body.Write(RestEnvelope.SuccessSuffix);
        if (call.LocationPrefix is not null && id is not null)
        {
            context.Response.Headers.Location = call.LocationPrefix + id;
        }

        await RestEnvelope.WriteSuccessAsync(context, call.SuccessStatus, body.WrittenMemory);
    }

    private static (StatusCode? Code, string? Message) ReadStatus(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? (StatusCode?)n : null;
            var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
            return (code, message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// Query parameters that set enum fields get their protobuf names; a value that a field cannot
    /// hold is left out and held back as a validation problem naming the field, instead of the
    /// parser's 400 that names none.
    /// </summary>
    private static void RewriteQuery(HttpContext context, RestCall call)
    {
        var request = context.Request;
        if (call.Query is null || !request.QueryString.HasValue)
        {
            return;
        }

        var problems = new Dictionary<string, string>();
        var builder = new QueryBuilder();
        foreach (var (name, values) in QueryHelpers.ParseQuery(request.QueryString.Value))
        {
            var field = ProtoJsonEnums.FindField(call.Query, name);
            foreach (var value in values)
            {
                var (converted, problem) = field is null ? (value, null) : QueryValue(field, value ?? string.Empty);
                if (problem is not null)
                {
                    problems[field!.JsonName] = problem;
                }
                else
                {
                    builder.Add(name, converted!);
                }
            }
        }

        request.QueryString = builder.ToQueryString();
        if (problems.Count > 0)
        {
            CallState.Of(context).RequestProblem = Refusal.Validation(problems);
        }
    }

    private static (string? Value, string? Problem) QueryValue(FieldDescriptor field, string value) => field.FieldType switch
    {
        FieldType.Enum => ProtoJsonEnums.ToProtoName(field.EnumType, value) is var full && full != ProtoJsonEnums.UndefinedValue.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ? (full, null)
            : (null, "must be one of: " + string.Join(", ", ProtoJsonEnums.RestNames(field.EnumType))),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => int.TryParse(value, out _) ? (value, null) : (null, "must be an integer"),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => long.TryParse(value, out _) ? (value, null) : (null, "must be an integer"),
        FieldType.UInt32 or FieldType.Fixed32 => uint.TryParse(value, out _) ? (value, null) : (null, "must be a non-negative integer"),
        FieldType.UInt64 or FieldType.Fixed64 => ulong.TryParse(value, out _) ? (value, null) : (null, "must be a non-negative integer"),
        FieldType.Bool => bool.TryParse(value, out _) ? (value, null) : (null, "must be true or false"),
        _ => (value, null),
    };

    /// <summary>
    /// Reads the body (at most 64 KiB) once into a pooled buffer, checks it and hands transcoding
    /// either that buffer or, when an enum name had to change, the rewritten copy. A problem is held
    /// back for the interceptor, and transcoding gets an empty object instead.
    /// </summary>
    /// <returns>The buffer transcoding reads, to be disposed when the call has ended.</returns>
    private static async Task<PooledBuffer> RewriteBodyAsync(HttpContext context, RestCall call)
    {
        var request = context.Request;
        PooledBuffer? body = null;
        Refusal? failure = null;
        if (call.BodyMayBeEmpty && HasNoBody(request))
        {
            // An action whose route names everything (POST .../{id}:cancel) may be posted bare,
            // as curl -X POST does, with or without a content type.
            body = new PooledBuffer(EmptyObject.Length);
            body.Write(EmptyObject);
        }
        else
        {
            PooledBuffer? read;
            (read, failure) = await ReadBodyAsync(request, context.RequestAborted);
            if (read is not null)
            {
                (body, failure) = RewriteEnums(read, call.RequestBody!);
            }
        }

        if (failure is not null)
        {
            CallState.Of(context).RequestProblem = failure;
            body = new PooledBuffer(EmptyObject.Length);
            body.Write(EmptyObject);
        }

        request.Body = body!.OpenRead();
        request.ContentLength = body.WrittenCount;
        request.ContentType = RestEnvelope.JsonContentType;
        return body;
    }

    /// <summary>The body transcoding should read (this one or a rewritten copy), or why there is none.</summary>
    private static (PooledBuffer? Body, Refusal? Failure) RewriteEnums(PooledBuffer body, MessageDescriptor descriptor)
    {
        var rewritten = new PooledBuffer(body.WrittenCount + 32);
        var kept = body;
        try
        {
            switch (ProtoJsonEnums.RewriteIncoming(body.WrittenSpan, descriptor, rewritten))
            {
                case ProtoJsonEnums.IncomingBody.Unchanged:
                    return (body, null);
                case ProtoJsonEnums.IncomingBody.Rewritten:
                    kept = rewritten;
                    body.Dispose();
                    return (rewritten, null);
                case ProtoJsonEnums.IncomingBody.NotUtf8:
                    body.Dispose();
                    return (null, new Refusal(RefusalKind.BadRequest, "request body is not valid UTF-8"));
                default:
                    body.Dispose();
                    return (null, new Refusal(RefusalKind.BadRequest, "request body must be a JSON object"));
            }
        }
        catch (JsonException)
        {
            body.Dispose();
            return (null, new Refusal(RefusalKind.BadRequest, "request body is not valid JSON"));
        }
        catch (RequestFieldException wrong)
        {
            body.Dispose();
            return (null, new Refusal(RefusalKind.BadRequest, $"{wrong.Field} {wrong.Problem}", new Dictionary<string, string> { [wrong.Field] = wrong.Problem }));
        }
        catch
        {
            body.Dispose();
            throw;
        }
        finally
        {
            if (kept != rewritten)
            {
                rewritten.Dispose();
            }
        }
    }

    private static async Task<(PooledBuffer? Body, Refusal? Failure)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, new Refusal(RefusalKind.BadRequest, "content type must be application/json"));
        }

        var declared = request.ContentLength;
        if (declared > MaxRequestBodyBytes)
        {
            return (null, TooLarge());
        }

        // Room for one byte more than the limit, so that a longer body of unknown length shows
        // itself; a declared length is all there is (the server enforces it), so no read waits
        // for the end once it has arrived.
        const int Limit = MaxRequestBodyBytes + 1;
        var buffer = new PooledBuffer(declared is { } length ? (int)length : 4096);
        try
        {
            while (buffer.WrittenCount < Limit && buffer.WrittenCount != declared)
            {
                var room = buffer.GetMemory(Math.Min(16 * 1024, Limit - buffer.WrittenCount));
                var read = await request.Body.ReadAsync(room[..Math.Min(room.Length, Limit - buffer.WrittenCount)], cancellationToken);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
            }
        }
        catch (Exception exception) when (RequestBodyFailure.OfRead(exception, request.HttpContext) is { } unreadable)
        {
            // Broken framing leaves nothing to read, authenticated or not: answered at once.
            buffer.Dispose();
            throw new RefusalException(unreadable);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }

        if (buffer.WrittenCount > MaxRequestBodyBytes)
        {
            buffer.Dispose();
            return (null, TooLarge());
        }

        return (buffer, null);
    }

    /// <summary>No body at all: a zero Content-Length, or neither a length nor chunked framing.</summary>
    private static bool HasNoBody(HttpRequest request) =>
        request.ContentLength == 0 ||
        request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false };

    private static bool IsJson(string? contentType) =>
        string.Equals(contentType, RestEnvelope.JsonContentType, StringComparison.OrdinalIgnoreCase) ||
        (MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType.Equals(RestEnvelope.JsonContentType, StringComparison.OrdinalIgnoreCase));

    private static Refusal TooLarge() =>
        new(RefusalKind.PayloadTooLarge, $"request body must be at most {MaxRequestBodyBytes} bytes");
}
