using AgentMessage.Core.Compliance;

namespace AgentMessage.Core.Messaging;

/// <summary>An inbound message as a carrier hands it over: <see cref="From"/> wrote to
/// <see cref="To"/>, one of our numbers. <see cref="CarrierMessageId"/> names it among the carrier's
/// deliveries, when the carrier gives one.</summary>
public sealed record InboundMessage(string From, string To, string Text, IReadOnlyList<string> Media, string? CarrierMessageId = null);

/// <summary>
/// The inbound pipeline every carrier link uses (the signed HTTP endpoint, SMPP): finds the
/// organization that owns the receiving number, applies opt-out and opt-in keywords to the sender's
/// consent (<see cref="InboundKeywordHandler"/>), and stores the message for that organization in
/// status received with its arrival event (<see cref="IInboundMessageStore"/>). A number no
/// organization owns is answered with nothing applied and no message, and nothing is stored. A
/// delivery the carrier names (<see cref="InboundMessage.CarrierMessageId"/>) is stored once: a
/// repeat within <see cref="DuplicateWindow"/> is answered as the first was and changes nothing.
/// Keywords are applied before the message is stored, so a failure in between leaves the delivery
/// unanswered and the carrier's retry applies them again (they are idempotent) rather than finding a
/// stored duplicate whose keyword was never applied. Once the message is stored, a keyword is
/// answered (<see cref="KeywordReplier"/>) from the receiving number; a repeated delivery is not
/// answered again, and a reply that fails leaves the stored message and the answer to the carrier as
/// they are. Nothing of the text or numbers is logged.
/// </summary>
public sealed class InboundService(INumberRegistry numbers, InboundKeywordHandler keywords, IInboundMessageStore store, KeywordReplier replies, TimeProvider time)
{
    /// <summary>How long a carrier's message id is remembered to recognise a repeated delivery.</summary>
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromHours(24);

    public const int MaxMediaItems = 10;
    public const int MaxCarrierMessageIdLength = 128;

    public async Task<InboundOutcome> ReceiveAsync(InboundMessage inbound, CancellationToken cancellationToken)
    {
        var (action, keyword) = InboundKeywords.Parse(inbound.Text);
        if (await numbers.FindOwnerAsync(inbound.To, cancellationToken) is not { } organizationId)
        {
            return new InboundOutcome(action, keyword, false);
        }

        // Carrier ids are unique per carrier, and a number is reached through one carrier: the
        // receiving number and the id name a delivery.
        var deliveryKey = inbound.CarrierMessageId is { } carrierId ? $"{inbound.To}:{carrierId}" : null;
        if (deliveryKey is not null && await store.FindDeliveryAsync(organizationId, deliveryKey, cancellationToken) is { } earlier)
        {
            return new InboundOutcome(action, keyword, earlier.KeywordApplied, earlier.MessageId);
        }

        var applied = await keywords.ApplyAsync(organizationId, inbound.From, action, keyword, cancellationToken);
        var stored = await store.StoreAsync(new InboundStoreRequest(NewMessage(organizationId, inbound), deliveryKey, applied, DuplicateWindow), cancellationToken);
        if (!stored.Repeated)
        {
            await replies.ReplyAsync(organizationId, inbound.To, inbound.From, action, cancellationToken);
        }

        return new InboundOutcome(action, keyword, stored.KeywordApplied, stored.MessageId);
    }

    /// <summary>Field problems of an inbound message as a carrier posts it, for the 422.</summary>
    public static Dictionary<string, string> Problems(string? from, string? to, string? text, IReadOnlyList<string>? media, string? carrierMessageId)
    {
        var problems = new Dictionary<string, string>();
        if (!SendRules.IsE164(from))
        {
            problems["from"] = "must be E.164";
        }

        if (!SendRules.IsE164(to))
        {
            problems["to"] = "must be E.164";
        }

        if (text is null)
        {
            problems["text"] = "is required";
        }

        if (media is { Count: > MaxMediaItems })
        {
            problems["media"] = $"must have at most {MaxMediaItems} items";
        }
        else
        {
            for (var i = 0; i < (media?.Count ?? 0); i++)
            {
                if (!IsMediaUrl(media![i]))
                {
                    problems[$"media[{i}]"] = "must be an http:// or https:// URL";
                }
            }
        }

        if (carrierMessageId is not null && !IsCarrierMessageId(carrierMessageId))
        {
            problems["carrier_message_id"] = $"must be 1..{MaxCarrierMessageIdLength} printable ASCII characters without spaces";
        }

        return problems;
    }

    private static bool IsMediaUrl(string entry) =>
        entry.Length <= SendRules.MaxUrlLength &&
        Uri.TryCreate(entry, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && uri.Host.Length > 0;

    private static bool IsCarrierMessageId(string id) =>
        id.Length is > 0 and <= MaxCarrierMessageIdLength && id.All(c => c is > ' ' and <= '~');

    private Message NewMessage(string organizationId, InboundMessage inbound)
    {
        var segments = SegmentCounter.Count(inbound.Text);
        var now = time.GetUtcNow();
        var receivedAt = MessageTimes.Stamp(now);
        return new Message(
            Id: Guid.NewGuid().ToString("D"),
            OrganizationId: organizationId,
            From: inbound.From,
            To: inbound.To,
            Text: inbound.Text,
            Channel: inbound.Media.Count > 0 ? MessageChannel.Mms : MessageChannel.Sms,
            Priority: MessagePriority.Default,
            Status: DeliveryStatus.Received,
            Tag: null,
            Media: inbound.Media,
            Encoding: segments.Encoding,
            Segments: segments.Segments,
            CreatedAt: receivedAt,
            UpdatedAt: receivedAt,
            Direction: MessageDirection.Inbound);
    }
}
