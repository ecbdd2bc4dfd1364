using System.Text.Json;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;

namespace AgentMessage.Server.Edge.Carrier;

/// <summary>
/// <c>POST /v1/carrier/inbound</c>: where carriers deliver messages sent <i>to</i> our numbers,
/// <c>{"from": "+1...", "to": "+1...", "text": "...", "media"?: [url...], "carrier_message_id"?}</c>.
/// Authenticated exactly like receipts (<see cref="CarrierReceiptSigner"/>: the same headers, secret
/// and replay window). The message goes through the inbound pipeline (<see cref="InboundService"/>):
/// stored for the organization that owns <c>to</c>, and its opt-out or opt-in keyword
/// (<see cref="InboundKeywords"/>) applied to the sender's consent. The answer is
/// <c>{"applied", "action", "keyword"?, "message_id"?}</c>; a number no organization owns is
/// acknowledged with nothing applied and no message_id, and nothing is kept. A repeated delivery
/// (the same <c>carrier_message_id</c> to the same number within 24 h) is answered as the first was
/// and stores nothing. The same signed request again inside the replay window is answered with
/// <c>"replayed": true</c> and not applied again. Nothing of the message (numbers, text) is logged.
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

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, InboundService inbound, ISignedRequestLedger ledger, ILoggerFactory loggers)
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
        if (json is null || !TryRead(json, out var fields, out shapeProblem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, shapeProblem!, null);
            return;
        }

        if (InboundService.Problems(fields.From, fields.To, fields.Text, fields.Media, fields.CarrierMessageId) is { Count: > 0 } problems)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.ValidationFailed, RefusalKind.ValidationFailed.DefaultMessage, problems);
            return;
        }

        // The same signed request again (a carrier's retry after a lost answer, or a captured
        // START replayed after the sender's STOP) is told so and changes nothing. A state store
        // that is down throws, and the request edge answers 503 UNAVAILABLE: the carrier retries a
        // message that was not answered 2xx, and one that failed was not remembered, so its retry
        // is applied.
        // A message with a carrier_message_id is deduplicated by it (the first answer again,
        // nothing stored or applied twice), so its replay gets that answer too.
        var replayKey = ReplayKey + signed!.Signature;
        if (fields.CarrierMessageId is null && await ledger.ContainsAsync(replayKey, context.RequestAborted))
        {
            var (action, keyword) = InboundKeywords.Parse(fields.Text!);
            logger.LogInformation("Carrier inbound message replayed inside the replay window: not applied again");
            await WriteAnswerAsync(context, new InboundReceipt(false, action, keyword, null), replayed: true);
            return;
        }

        var outcome = await inbound.ReceiveAsync(
            new InboundMessage(fields.From!, fields.To!, fields.Text!, fields.Media ?? [], fields.CarrierMessageId), context.RequestAborted);
        await ledger.AddAsync(replayKey, signed.AcceptableFor, context.RequestAborted);

        logger.LogDebug("Carrier inbound message: keyword {Keyword} action {Action} applied={Applied} stored={Stored}", outcome.Keyword, outcome.Action, outcome.Applied, outcome.MessageId is not null);
        await WriteAnswerAsync(context, new InboundReceipt(outcome.Applied, outcome.Action, outcome.Keyword, outcome.MessageId), replayed: false);
    }

    /// <summary>What the answer says.</summary>
    private sealed record InboundReceipt(bool Applied, KeywordAction Action, string? Keyword, string? MessageId);

    private static Task WriteAnswerAsync(HttpContext context, InboundReceipt outcome, bool replayed) =>
        RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("applied", outcome.Applied);
            writer.WriteString("action", outcome.Action switch
            {
                KeywordAction.OptOut => "opt_out",
                KeywordAction.OptIn => "opt_in",
                KeywordAction.Help => "help",
                _ => "none",
            });
            if (outcome.Keyword is not null)
            {
                writer.WriteString("keyword", outcome.Keyword);
            }

            if (outcome.MessageId is not null)
            {
                writer.WriteString("message_id", outcome.MessageId);
            }

            if (replayed)
            {
                writer.WriteBoolean("replayed", true);
            }

            writer.WriteEndObject();
        });

    /// <summary>The body's fields, each null when absent.</summary>
    private sealed record InboundFields(string? From, string? To, string? Text, List<string>? Media, string? CarrierMessageId);

    /// <summary>Reads the JSON object: string-typed from, to, text and carrier_message_id, and media
    /// as an array of strings, each when present.</summary>
    private static bool TryRead(byte[] body, out InboundFields fields, out string? problem)
    {
        fields = new InboundFields(null, null, null, null, null);
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "inbound body must be a JSON object";
                return false;
            }

            if (!TryString(root, "from", out var from, ref problem) || !TryString(root, "to", out var to, ref problem) ||
                !TryString(root, "text", out var text, ref problem) || !TryString(root, "carrier_message_id", out var carrierMessageId, ref problem) ||
                !TryStrings(root, "media", out var media, ref problem))
            {
                return false;
            }

            fields = new InboundFields(from, to, text, media, carrierMessageId);
            return true;
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

    private static bool TryStrings(JsonElement root, string name, out List<string>? values, ref string? problem)
    {
        values = null;
        if (!root.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (property.ValueKind != JsonValueKind.Array || property.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String))
        {
            problem = $"{name} must be an array of strings";
            return false;
        }

        values = [.. property.EnumerateArray().Select(item => item.GetString()!)];
        return true;
    }
}
