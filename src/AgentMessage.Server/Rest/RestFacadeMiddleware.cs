using System.Buffers;
using System.Text.Json;
using AgentMessage.Server.Errors;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace AgentMessage.Server.Rest;

/// <summary>
/// The one place where JSON transcoding's output becomes the documented REST API. Around every
/// transcoded call it
/// <list type="bullet">
/// <item>checks the body (JSON content type, at most 64 KiB, a JSON object) and turns lower-case
/// enum names into protobuf ones; a body problem is held back and raised by the interceptor after
/// authentication, so the order of checks is the same on both faces;</item>
/// <item>wraps the result in the envelope with the contract's status code, lower-case enums and
/// the error table's codes, whatever transcoding itself would have written.</item>
/// </list>
/// </summary>
public sealed class RestFacadeMiddleware(RequestDelegate next, ILogger<RestFacadeMiddleware> logger)
{
    public const int MaxRequestBodyBytes = 64 * 1024;

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (metadata is null || Api.GrpcRequest.IsNative(context.Request))
        {
            await next(context);
            return;
        }

        var call = RestCall.For(metadata);
        RewriteQuery(context, call);
        if (call.RequestBody is not null)
        {
            await RewriteBodyAsync(context, call.RequestBody);
        }

        var original = context.Response.Body;
        await using Stream capture = call.IsServerStreaming
            ? new StreamingCapture(context, original, call.ResponseBody)
            : new MemoryStream();
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

        var written = capture is StreamingCapture streamed ? streamed.Held : ((MemoryStream)capture).ToArray();
        await FinishAsync(context, call, written);
    }

    private async Task FinishAsync(HttpContext context, RestCall call, ReadOnlyMemory<byte> written)
    {
        // A failure the call recorded is its answer, whether transcoding then wrote an error (a
        // thrown one) or the empty response of a refusal returned as a value (CallRefusal).
        if (context.Items[ApiFailure.Key] is ApiError failure)
        {
            await RestEnvelope.WriteErrorAsync(context, failure);
            return;
        }

        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            // Transcoding refused the call itself (a body it could not bind, for example): its
            // google.rpc.Status body names the gRPC code; the table gives the REST code.
            var (code, message) = ReadStatus(written.Span);
            var error = code is { } grpc ? ErrorCode.ForGrpcStatus(grpc) : ErrorCode.ForHttpStatus(context.Response.StatusCode);
            logger.LogDebug("Transcoding answered {Status} with gRPC code {Code}: {Message}", context.Response.StatusCode, code, message);
            await RestEnvelope.WriteErrorAsync(context, error, error == ErrorCode.BadRequest && message is not null ? message : error.DefaultMessage, null);
            return;
        }

        using var document = JsonDocument.Parse(written);
        if (call.LocationPrefix is not null && document.RootElement.TryGetProperty("id", out var id))
        {
            context.Response.Headers.Location = call.LocationPrefix + id.GetString();
        }

        await RestEnvelope.WriteSuccessAsync(context, call.SuccessStatus, writer => ProtoJsonEnums.WriteOutgoing(document.RootElement, call.ResponseBody, writer));
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
            context.Items[ApiFailure.RequestProblemKey] = ApiError.Validation(problems);
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

    private static async Task RewriteBodyAsync(HttpContext context, MessageDescriptor descriptor)
    {
        var request = context.Request;
        var problem = await ReadBodyAsync(request, context.RequestAborted);
        if (problem.Failure is not null)
        {
            context.Items[ApiFailure.RequestProblemKey] = problem.Failure;
            ReplaceBody(request, EmptyObject);
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(problem.Body!.Length + 32);
        using (var document = JsonDocument.Parse(problem.Body))
        using (var writer = new Utf8JsonWriter(buffer, RestEnvelope.WriterOptions))
        {
            ProtoJsonEnums.WriteIncoming(document.RootElement, descriptor, writer);
        }

        ReplaceBody(request, buffer.WrittenMemory.ToArray());
    }

    private static async Task<(byte[]? Body, ApiError? Failure)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ||
            !type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new ApiError(ErrorCode.BadRequest, "content type must be application/json"));
        }

        if (request.ContentLength > MaxRequestBodyBytes)
        {
            return (null, TooLarge());
        }

        using var body = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (body.Length + read > MaxRequestBodyBytes)
                {
                    return (null, TooLarge());
                }

                body.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var bytes = body.ToArray();
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, new ApiError(ErrorCode.BadRequest, "request body must be a JSON object"));
            }
        }
        catch (JsonException)
        {
            return (null, new ApiError(ErrorCode.BadRequest, "request body is not valid JSON"));
        }

        return (bytes, null);
    }

    private static ApiError TooLarge() =>
        new(ErrorCode.PayloadTooLarge, $"request body must be at most {MaxRequestBodyBytes} bytes");

    private static void ReplaceBody(HttpRequest request, byte[] body)
    {
        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        request.ContentType = RestEnvelope.JsonContentType;
    }
}
