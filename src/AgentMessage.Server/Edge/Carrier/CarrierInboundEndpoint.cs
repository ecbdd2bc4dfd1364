using System.Text.Json;
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
/// reveal which numbers are ours. Nothing of the message (numbers, text) is logged.
/// </summary>
public static class CarrierInboundEndpoint
{
    public const string Route = "/v1/carrier/inbound";

    public static IEndpointRouteBuilder MapCarrierInbound(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, ReceiveAsync);
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, CarrierReceiptSigner signer, InboundKeywordHandler keywords, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(CarrierInboundEndpoint));
        var body = await CarrierReceiptEndpoint.ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.PayloadTooLarge, $"inbound body must be at most {CarrierReceiptJson.MaxBodyBytes} bytes", null);
            return;
        }

        var headers = context.Request.Headers;
        switch (signer.Verify(headers[CarrierReceiptSigner.TimestampHeader], headers[CarrierReceiptSigner.SignatureHeader], body))
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

        if (!TryRead(body, out var from, out var to, out var text, out var shapeProblem))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, shapeProblem!, null);
            return;
        }

        if (InboundKeywordHandler.Problems(from, to, text) is { Count: > 0 } problems)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.ValidationFailed, RefusalKind.ValidationFailed.DefaultMessage, problems);
            return;
        }

        // A state store that is down throws, and the request edge answers 503 UNAVAILABLE: the
        // carrier retries a message that was not answered 2xx.
        var outcome = await keywords.ApplyAsync(from!, to!, text!, context.RequestAborted);

        logger.LogDebug("Carrier inbound keyword {Keyword} action {Action} applied={Applied}", outcome.Keyword, outcome.Action, outcome.Applied);
        await RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
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

            writer.WriteEndObject();
        });
    }

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
