using System.Buffers;
using System.Text.Json;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Edge.Rest;

/// <summary>
/// The REST envelope (docs/API.md section 2): <c>{"success": true, "data": ...}</c> or
/// <c>{"success": false, "error": {code, message, request_id, details?}}</c>. Every REST
/// response body is written here.
/// </summary>
public static class RestEnvelope
{
    public const string JsonContentType = "application/json";

    /// <summary>Plain JSON for API clients: "+15551112222", not "\u002B15551112222". Bodies are
    /// served as application/json, never embedded in HTML, so HTML-sensitive escaping buys nothing.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteErrorAsync(HttpContext context, Refusal failure) =>
        WriteErrorAsync(context, failure.Kind, failure.Message, failure.Details);

    public static async Task WriteErrorAsync(HttpContext context, RefusalKind error, string message, IReadOnlyDictionary<string, string>? details)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteError(buffer, context, error, message, details);
        var status = RestRefusals.HttpStatus(error);
        context.Response.StatusCode = status;
        if (string.IsNullOrEmpty(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)) &&
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>() is { } feature)
        {
            // 453 is ours, not IANA's: give HTTP/1.1 clients a readable status line anyway.
            feature.ReasonPhrase = System.Globalization.CultureInfo.InvariantCulture.TextInfo.ToTitleCase(error.Code.Replace('_', ' ').ToLowerInvariant());
        }

        await WriteBodyAsync(context, buffer.WrittenMemory);
    }

    /// <summary>The error object alone, for a body or for the last line of a stream that failed after it started.</summary>
    public static void WriteError(IBufferWriter<byte> buffer, HttpContext context, RefusalKind error, string message, IReadOnlyDictionary<string, string>? details)
    {
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success", false);
            writer.WriteStartObject("error");
            writer.WriteString("code", error.Code);
            writer.WriteString("message", message);
            writer.WriteString("request_id", CallState.Of(context).RequestId);
            if (details is { Count: > 0 })
            {
                writer.WriteStartObject("details");
                foreach (var (field, problem) in details)
                {
                    writer.WriteString(field, problem);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }

    /// <summary>What comes before a success's data: <see cref="WriteSuccessAsync(HttpContext, int, Action{Utf8JsonWriter})"/> writes the same.</summary>
    public static ReadOnlySpan<byte> SuccessPrefix => """{"success":true,"data":"""u8;

    /// <summary>What comes after a success's data.</summary>
    public static ReadOnlySpan<byte> SuccessSuffix => "}"u8;

    /// <summary>A success whose whole body, envelope included, is already written.</summary>
    public static Task WriteSuccessAsync(HttpContext context, int status, ReadOnlyMemory<byte> envelope)
    {
        context.Response.StatusCode = status;
        return WriteBodyAsync(context, envelope);
    }

    /// <summary>Wraps <paramref name="data"/>, already in its REST form, as a success.</summary>
    public static async Task WriteSuccessAsync(HttpContext context, int status, Action<Utf8JsonWriter> data)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success", true);
            writer.WritePropertyName("data");
            data(writer);
            writer.WriteEndObject();
        }

        context.Response.StatusCode = status;
        await WriteBodyAsync(context, buffer.WrittenMemory);
    }

    private static async Task WriteBodyAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        context.Response.ContentType = JsonContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
