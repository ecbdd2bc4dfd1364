using System.Buffers;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// <c>POST /v1/carrier/receipts</c>: where carriers (and the built-in simulator) report what became
/// of a message. Authenticated by the receipt signature (<see cref="CarrierReceiptSigner"/>), not by
/// an API key. A receipt only ever moves a message forward (<see cref="DeliveryLifecycle"/>), so a
/// duplicate, late or out-of-order receipt, or a replay inside the window, is answered
/// <c>{"applied": false}</c> and changes nothing.
/// </summary>
public static class CarrierReceiptEndpoint
{
    public const string Route = "/v1/carrier/receipts";

    public static IEndpointRouteBuilder MapCarrierReceipts(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync);
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, IMessageStatusStore statuses, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(CarrierReceiptEndpoint));
        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.PayloadTooLarge, $"receipt body must be at most {CarrierReceipt.MaxBodyBytes} bytes", null);
            return;
        }

        var headers = context.Request.Headers;
        switch (signer.Verify(headers[CarrierReceiptSigner.TimestampHeader], headers[CarrierReceiptSigner.SignatureHeader], body))
        {
            case ReceiptVerification.BadSignature:
                logger.LogWarning("Carrier receipt refused: missing or invalid signature");
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "invalid receipt signature", null);
                return;
            case ReceiptVerification.Stale:
                logger.LogWarning("Carrier receipt refused: timestamp {Timestamp} outside the replay window", headers[CarrierReceiptSigner.TimestampHeader].ToString());
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "receipt timestamp outside the replay window", null);
                return;
        }

        if (!CarrierReceipt.TryParse(body, out var receipt, out var problem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, problem!, null);
            return;
        }

        CarrierReference.TryParse(receipt!.Reference, out var organizationId, out var messageId);
        var applied = false;
        if (CarrierReceiptStatus.ToDeliveryStatus(receipt.Status) is { } status)
        {
            // A state store that is down throws, and the request edge answers 503 UNAVAILABLE: a
            // carrier retries a receipt that was not answered 2xx.
            var change = await statuses.TransitionAsync(organizationId, messageId, status, CarrierReceiptStatus.ErrorCodeFor(receipt.Status, receipt.ErrorCode), context.RequestAborted);
            applied = change is not null;
        }

        logger.LogDebug("Carrier receipt {Reference} {Status} applied={Applied}", receipt.Reference, receipt.Status, applied);
        await RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("applied", applied);
            writer.WriteEndObject();
        });
    }

    /// <summary>The whole body, or null when it is larger than <see cref="CarrierReceipt.MaxBodyBytes"/> (read no further).</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > CarrierReceipt.MaxBodyBytes)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > CarrierReceipt.MaxBodyBytes)
            {
                return null;
            }
        }
    }
}
