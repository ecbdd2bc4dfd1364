using AgentMessage.Core.Refusals;
using Microsoft.AspNetCore.Connections;

namespace AgentMessage.Server.Edge;

/// <summary>
/// What a failed read of a request body means. Kestrel reports a body the client framed wrongly (a
/// chunk size that is not hexadecimal, a chunk without its closing CRLF, a body that ends before its
/// Content-Length) as a <see cref="BadHttpRequestException"/> thrown from the read, and a chunk size
/// too large for a 32-bit integer as a bare <see cref="IOException"/>. Both are the client's mistake,
/// answered <c>BAD_REQUEST</c> in the envelope, not faults of the server.
/// </summary>
public static class RequestBodyFailure
{
    public const string MalformedMessage = "request body is malformed: invalid chunked encoding, or shorter than its Content-Length";

    public const string TooSlowMessage = "request body arrived too slowly";

    /// <summary>
    /// The refusal for an exception thrown while reading the request body, or null when the client
    /// has gone away (nobody to answer) or the exception is not about the body.
    /// </summary>
    public static Refusal? OfRead(Exception exception, HttpContext context) =>
        Of(exception, context) ?? exception switch
        {
            _ when context.RequestAborted.IsCancellationRequested => null,
            ConnectionResetException or ConnectionAbortedException => null,
            IOException => new Refusal(RefusalKind.BadRequest, MalformedMessage),
            _ => null,
        };

    /// <summary>
    /// The refusal for an exception thrown anywhere in a call: only a
    /// <see cref="BadHttpRequestException"/>, which is always about the request, counts; an
    /// <see cref="IOException"/> could as well be a fault of a file or a socket of our own.
    /// </summary>
    public static Refusal? Of(Exception exception, HttpContext context) => exception switch
    {
        _ when context.RequestAborted.IsCancellationRequested => null,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new Refusal(RefusalKind.PayloadTooLarge),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => new Refusal(RefusalKind.BadRequest, TooSlowMessage),
        BadHttpRequestException => new Refusal(RefusalKind.BadRequest, MalformedMessage),
        _ => null,
    };
}
