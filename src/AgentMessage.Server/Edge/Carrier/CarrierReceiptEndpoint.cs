using System.Buffers;
using AgentMessage.Core.Access;
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
/// or out-of-order receipt is answered <c>{"applied": false}</c> and changes nothing; the same signed
/// request again inside the replay window (<see cref="ISignedRequestLedger"/>) is answered
/// <c>{"applied": false, "replayed": true}</c> and is not applied again (docs/API.md section 9).
/// </summary>
public static partial class CarrierReceiptEndpoint
{
    public const string Route = "/v1/carrier/receipts";

    /// <summary>Receipts' signatures in the replay ledger, apart from inbound messages'.</summary>
    private const string ReplayKey = "receipt:";

    public static IEndpointRouteBuilder MapCarrierReceipts(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync);
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, ICarrierReceiptSink receipts, ISignedRequestLedger ledger, ILoggerFactory loggers)
    {
        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.PayloadTooLarge, $"receipt body must be at most {CarrierReceiptJson.MaxBodyBytes} bytes", null);
            return;
        }

        var headers = context.Request.Headers;
        switch (signer.Verify(headers[CarrierReceiptSigner.TimestampHeader], headers[CarrierReceiptSigner.SignatureHeader], body, out var signed))
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

        var json = CarrierBodyText.ToUtf8(body, context.Request.ContentType, "receipt", out var problem);
        if (json is null || !CarrierReceiptJson.TryParse(json, out var receipt, out problem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, problem!, null);
            return;
        }

        // A replay of a receipt already applied (a carrier's retry after a lost answer, or a copy
        // someone captured) is told so and changes nothing. A state store that is down throws, and
        // the request edge answers 503 UNAVAILABLE: a carrier retries a receipt that was not
        // answered 2xx, and one that failed was not remembered, so its retry is applied.
        var replayKey = ReplayKey + signed!.Signature;
        if (await ledger.ContainsAsync(replayKey, context.RequestAborted))
        {
            LogReplayed(loggers.CreateLogger(typeof(CarrierReceiptEndpoint)));
            await WriteAnswerAsync(context, applied: false, replayed: true);
            return;
        }

        var applied = await receipts.ApplyAsync(receipt!, context.RequestAborted) == ReceiptOutcome.Applied;
        await ledger.AddAsync(replayKey, signed.AcceptableFor, context.RequestAborted);
        await WriteAnswerAsync(context, applied, replayed: false);
    }

    private static Task WriteAnswerAsync(HttpContext context, bool applied, bool replayed) =>
        RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("applied", applied);
            if (replayed)
            {
                writer.WriteBoolean("replayed", true);
            }

            writer.WriteEndObject();
        });

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

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Carrier receipt replayed inside the replay window: not applied again")]
    private static partial void LogReplayed(ILogger logger);
}
