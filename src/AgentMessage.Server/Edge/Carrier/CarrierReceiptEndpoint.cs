using System.Buffers;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// <c>POST /v1/carrier/receipts</c>: where HTTP carriers report what became of a message. Authenticated
/// by the receipt signature (<see cref="CarrierReceiptSigner"/>), not by an API key. This edge only
/// checks the signature and reads the JSON (<see cref="CarrierReceiptJson"/>); what the receipt means
/// is decided by <see cref="ICarrierReceiptSink"/>, the port every carrier link reports through. A
/// receipt only ever moves a message forward (<see cref="DeliveryLifecycle"/>), so a duplicate, late
/// or out-of-order receipt, or a replay inside the window, is answered <c>{"applied": false}</c> and
/// changes nothing (docs/API.md section 9).
/// </summary>
public static partial class CarrierReceiptEndpoint
{
    public const string Route = "/v1/carrier/receipts";

    public static IEndpointRouteBuilder MapCarrierReceipts(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync);
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, ICarrierReceiptSink receipts, ILoggerFactory loggers)
    {
        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.PayloadTooLarge, $"receipt body must be at most {CarrierReceiptJson.MaxBodyBytes} bytes", null);
            return;
        }

        var headers = context.Request.Headers;
        switch (signer.Verify(headers[CarrierReceiptSigner.TimestampHeader], headers[CarrierReceiptSigner.SignatureHeader], body))
        {
            case ReceiptVerification.BadSignature:
                LogBadSignature(loggers.CreateLogger(typeof(CarrierReceiptEndpoint)));
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "invalid receipt signature", null);
                return;
            case ReceiptVerification.Stale:
                LogStale(loggers.CreateLogger(typeof(CarrierReceiptEndpoint)), headers[CarrierReceiptSigner.TimestampHeader].ToString());
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "receipt timestamp outside the replay window", null);
                return;
        }

        if (!CarrierReceiptJson.TryParse(body, out var receipt, out var problem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, problem!, null);
            return;
        }

        // A state store that is down throws, and the request edge answers 503 UNAVAILABLE: a
        // carrier retries a receipt that was not answered 2xx.
        var applied = await receipts.ApplyAsync(receipt!, context.RequestAborted) == ReceiptOutcome.Applied;
        await RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("applied", applied);
            writer.WriteEndObject();
        });
    }

    /// <summary>The whole body, or null when it is larger than <see cref="CarrierReceiptJson.MaxBodyBytes"/> (read no further).</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > CarrierReceiptJson.MaxBodyBytes)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(4096);
                var read = await request.Body.ReadAsync(memory, cancellationToken);
                if (read == 0)
                {
                    return buffer.WrittenSpan.ToArray();
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > CarrierReceiptJson.MaxBodyBytes)
                {
                    return null;
                }
            }
        }
        catch (Exception exception) when (RequestBodyFailure.OfRead(exception, request.HttpContext) is { } unreadable)
        {
            // Broken framing: answered 400 before the signature, which covers bytes that never came.
            throw new RefusalException(unreadable);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Carrier receipt refused: missing or invalid signature")]
    private static partial void LogBadSignature(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Carrier receipt refused: timestamp {Timestamp} outside the replay window")]
    private static partial void LogStale(ILogger logger, string timestamp);
}
