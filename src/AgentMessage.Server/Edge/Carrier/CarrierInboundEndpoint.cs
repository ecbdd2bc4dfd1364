using System.Text.Json;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// <c>POST /v1/carrier/inbound</c>: where carriers deliver messages sent <i>to</i> our numbers,
/// <c>{"from": "+1...", "to": "+1...", "text": "STOP"}</c>. Authenticated exactly like receipts
/// (<see cref="CarrierReceiptSigner"/>: the same headers, secret and replay window). Opt-out and
/// opt-in keywords (<see cref="InboundKeywords"/>) change the sender's consent with the
/// organization that owns <c>to</c>. The answer is <c>{"applied", "action", "keyword"?}</c>; a
/// number no organization owns is answered like one where nothing changed, so the endpoint does not
/// reveal which numbers are ours. The same signed message again inside the replay window is answered
/// with <c>"replayed": true</c> and not applied again. Nothing of the message (numbers, text) is logged.
/// </summary>
public static class CarrierInboundEndpoint
{
    public const string Route = "/v1/carrier/inbound";

    /// <summary>Inbound messages' signatures in the replay ledger, apart from receipts'.</summary>
    private const string ReplayKey = "inbound:";

    public static IEndpointRouteBuilder MapCarrierInbound(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync);
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, InboundKeywordHandler keywords, ISignedRequestLedger ledger, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(CarrierInboundEndpoint));
        var body = await CarrierReceiptEndpoint.ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.PayloadTooLarge, $"inbound body must be at most {CarrierReceiptJson.MaxBodyBytes} bytes", null);
            return;
        }

        var headers = context.Request.Headers;
        switch (signer.Verify(headers[CarrierReceiptSigner.TimestampHeader], headers[CarrierReceiptSigner.SignatureHeader], body, out var signed))
        {
            case ReceiptVerification.BadSignature:
                logger.LogWarning("Carrier inbound message refused: missing or invalid signature");
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "invalid inbound signature", null);
                return;
            case ReceiptVerification.Stale:
                logger.LogWarning("Carrier inbound message refused: timestamp outside the replay window");
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unauthorized, "inbound timestamp outside the replay window", null);
                return;
        }

        var json = CarrierBodyText.ToUtf8(body, context.Request.ContentType, "inbound", out var shapeProblem);
        if (json is null || !TryRead(json, out var from, out var to, out var text, out shapeProblem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, shapeProblem!, null);
            return;
        }

        if (InboundKeywordHandler.Problems(from, to, text) is { Count: > 0 } problems)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.ValidationFailed, RefusalKind.ValidationFailed.DefaultMessage, problems);
            return;
        }

        // The same signed message again (a carrier's retry after a lost answer, or a captured
        // START replayed after the sender's STOP) is told so and changes nothing. A state store
        // that is down throws, and the request edge answers 503 UNAVAILABLE: the carrier retries a
        // message that was not answered 2xx, and one that failed was not remembered, so its retry
        // is applied.
        var replayKey = ReplayKey + signed!.Signature;
        if (await ledger.ContainsAsync(replayKey, context.RequestAborted))
        {
            var (action, keyword) = InboundKeywords.Parse(text);
            logger.LogInformation("Carrier inbound message replayed inside the replay window: not applied again");
            await WriteAnswerAsync(context, new InboundOutcome(action, keyword, Applied: false), replayed: true);
            return;
        }

        var outcome = await keywords.ApplyAsync(from!, to!, text!, context.RequestAborted);
        await ledger.AddAsync(replayKey, signed.AcceptableFor, context.RequestAborted);

        logger.LogDebug("Carrier inbound keyword {Keyword} action {Action} applied={Applied}", outcome.Keyword, outcome.Action, outcome.Applied);
        await WriteAnswerAsync(context, outcome, replayed: false);
    }

    private static Task WriteAnswerAsync(HttpContext context, InboundOutcome outcome, bool replayed) =>
        RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("applied", outcome.Applied);
            writer.WriteString("action", outcome.Action switch
            {
                KeywordAction.OptOut => "opt_out",
                KeywordAction.OptIn => "opt_in",
                _ => "none",
            });
            if (outcome.Keyword is not null)
            {
                writer.WriteString("keyword", outcome.Keyword);
            }

            if (replayed)
            {
                writer.WriteBoolean("replayed", true);
            }

            writer.WriteEndObject();
        });

    /// <summary>Reads the JSON object; string-typed from, to and text when present (null when absent).</summary>
    private static bool TryRead(byte[] body, out string? from, out string? to, out string? text, out string? problem)
    {
        from = to = text = problem = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "inbound body must be a JSON object";
                return false;
            }

            return TryString(root, "from", out from, ref problem) && TryString(root, "to", out to, ref problem) && TryString(root, "text", out text, ref problem);
        }
        catch (JsonException)
        {
            problem = "inbound body is not valid JSON";
            return false;
        }
    }

    private static bool TryString(JsonElement root, string name, out string? value, ref string? problem)
    {
        value = null;
        if (!root.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            problem = $"{name} must be a string";
            return false;
        }

        value = property.GetString();
        return true;
    }
}
