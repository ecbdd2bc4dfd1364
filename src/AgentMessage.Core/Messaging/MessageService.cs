using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Media;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Storage;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Messaging;

/// <summary>The outcome of an accepted send: the message, the bucket state to report (none on a
/// replay, which takes no token), and whether it is the stored answer to an earlier request.</summary>
public sealed record SendResult(Message Message, RateLimitDecision? RateLimit, bool Replayed);

/// <summary>
/// Sending, reading and listing messages for one caller's organization. The checks run in the order
/// of docs/API.md section 5. The business rules (ownership, consent, line type) are read before the
/// rate limit is applied but take effect after it, so a send that breaks one still spends a token,
/// and the token, the message and the idempotency key are then settled in one atomic step. A send's
/// expected refusals (validation, MMS off, rate limit, business rules) are returned, not thrown.
/// </summary>
public sealed class MessageService(
    IMessageStore messages,
    ISendAdmission admission,
    IDispatchQueue dispatch,
    IIdempotencyStore idempotency,
    IOrganizationStore organizations,
    INumberRegistry numbers,
    IConsentRegistry consents,
    ILineTypeRegistry lineTypes,
    IOptions<RateLimitOptions> rateLimits,
    IOptions<MessagingOptions> messaging,
    MediaService media,
    PaceTable paces,
    AgentMessageTelemetry telemetry,
    TimeProvider time)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>How long after an inbound message a reply to it needs no recorded opt-in: the person
    /// started the conversation.</summary>
    public static readonly TimeSpan ReplyWindow = TimeSpan.FromHours(24);

    private const string InReplyToProblem = "must be the id of an inbound message of your organization from this send's to, received on its from";

    /// <summary>A send, as the "SendMessage" span and the send counters see it.</summary>
    public async Task<Result<SendResult>> SendAsync(Caller caller, SendMessageCommand command, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var activity = AgentMessageTelemetry.Source.StartActivity("SendMessage");
        activity?.SetTag(AgentMessageTelemetry.OrganizationTag, caller.OrganizationId);
        try
        {
            var result = await SendCheckedAsync(caller, command, idempotencyKey, cancellationToken);
            if (result.TryGetValue(out var sent, out var refusal))
            {
                activity?.SetTag(AgentMessageTelemetry.MessageTag, sent.Message.Id);
                if (!sent.Replayed)
                {
                    telemetry.SendAccepted(sent.Message.Channel == MessageChannel.Mms ? "mms" : "sms");
                }
            }
            else
            {
                Refused(activity, refusal);
            }

            return result;
        }
        catch (Exception exception) when (Refusal.Of(exception) is { } refusal)
        {
            Refused(activity, refusal);
            throw;
        }
    }

    private void Refused(System.Diagnostics.Activity? activity, Refusal refusal)
    {
        telemetry.SendRefused(refusal.Kind.Code);
        activity?.SetTag(AgentMessageTelemetry.ErrorCodeTag, refusal.Kind.Code);
    }

    private async Task<Result<SendResult>> SendCheckedAsync(Caller caller, SendMessageCommand command, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (ShapeProblems(command, idempotencyKey, time.GetUtcNow()) is { } invalid)
        {
            return invalid;
        }

        var organization = await organizations.GetAsync(caller.OrganizationId, cancellationToken)
            ?? throw new RefusalException(RefusalKind.Unauthorized);
        if (command.Media.Count > 0 && !media.IsMmsEnabled(organization))
        {
            return new Refusal(RefusalKind.MmsDisabled);
        }

        IdempotencyClaim? claim = null;
        if (idempotencyKey is not null)
        {
            var scope = new IdempotencyScope(organization.Id, IdempotentOperation.SendMessage, idempotencyKey);
            (claim, var replay) = await idempotency.ClaimOrReplayAsync(scope, Fingerprint(command), cancellationToken);
            if (replay is not null)
            {
                return new SendResult(MessageJson.Deserialize(replay), RateLimit: null, Replayed: true);
            }
        }

        var settled = false;
        try
        {
            var (refusal, resolved) = await CheckBusinessRulesAsync(organization.Id, command, cancellationToken);
            var message = refusal is null ? NewMessage(organization.Id, command, resolved!) : null;
            var policy = organization.LimitFor(RateLimitedOperation.Send) ?? rateLimits.Value.For(RateLimitedOperation.Send);
            var pace = message is null ? default : await paces.IntervalAsync(organization.Id, message.From, cancellationToken);
            var outcome = await admission.AdmitAsync(new AdmissionRequest(organization.Id, policy, message, claim, pace), cancellationToken);
            settled = true;
            if (outcome.LeaseLost)
            {
                throw IdempotencyStoreExtensions.InProgress();
            }

            if (!outcome.RateLimit.Allowed)
            {
                return new Refusal(RefusalKind.RateLimited) { RetryAfter = outcome.RateLimit.RetryAfter, RateLimit = outcome.RateLimit };
            }

            if (refusal is not null)
            {
                return refusal with { RateLimit = outcome.RateLimit };
            }

            return new SendResult(message!, outcome.RateLimit, Replayed: false);
        }
        finally
        {
            if (!settled && claim is not null)
            {
                await idempotency.ReleaseAsync(claim, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Sends the answer to an inbound keyword (<see cref="KeywordReplier"/>): an ordinary outbound
    /// message, stored and put on the dispatch schedule like any send, from a number the organization
    /// owns (the one that received the keyword) to the person who sent it. It skips the consent rule
    /// and the line type, which a keyword answer must pass (the STOP confirmation goes to a person who
    /// has just opted out), and keeps the organization's send rate limit. Internal: no API caller can
    /// reach it. False when the rate limit refused it.
    /// </summary>
    internal async Task<bool> SendKeywordReplyAsync(Organization organization, string from, string to, string text, string tag, CancellationToken cancellationToken)
    {
        var command = new SendMessageCommand(from, to, text, [], Priority: null, Tag: tag);
        var message = NewMessage(organization.Id, command, ResolvedMedia.None);
        var policy = organization.LimitFor(RateLimitedOperation.Send) ?? rateLimits.Value.For(RateLimitedOperation.Send);
        var pace = await paces.IntervalAsync(organization.Id, from, cancellationToken);
        var outcome = await admission.AdmitAsync(new AdmissionRequest(organization.Id, policy, message, Claim: null, pace), cancellationToken);
        return outcome.RateLimit.Allowed;
    }

    public async Task<Message> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        // An id that is not a UUID cannot name a message: answer as for any unknown message.
        var message = Guid.TryParseExact(id, "D", out _) ? await messages.GetAsync(caller.OrganizationId, id, cancellationToken) : null;
        return message ?? throw new RefusalException(RefusalKind.NotFound, "message not found");
    }

    /// <summary>
    /// Cancels a message that is still waiting for dispatch (scheduled or queued). One already
    /// canceled answers as a fresh cancel would, so a client may retry after a lost answer; any other
    /// status has been handed to the carrier, or is final, and is refused naming it.
    /// </summary>
    public async Task<Message> CancelAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        // An id that is not a UUID cannot name a message: answer as for any unknown message.
        if (!Guid.TryParseExact(id, "D", out _))
        {
            throw new RefusalException(RefusalKind.NotFound, "message not found");
        }

        var outcome = await dispatch.CancelAsync(caller.OrganizationId, id, cancellationToken);
        if (outcome.Status is not { } status)
        {
            throw new RefusalException(RefusalKind.NotFound, "message not found");
        }

        if (!outcome.Canceled && status != DeliveryStatus.Canceled)
        {
            // The status as clients see it: the member's name in lower case ("sending").
            throw new RefusalException(
                RefusalKind.MessageNotCancelable,
                $"message is {status.ToString().ToLowerInvariant()} and can no longer be canceled");
        }

        return await GetAsync(caller, id, cancellationToken);
    }

    public async Task<MessagePage> ListAsync(Caller caller, MessageQuery query, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        if (query.PageSize is < 0 or > MaxPageSize)
        {
            problems["page_size"] = $"must be 1..{MaxPageSize}";
        }

        if (query.Tag is not null && SendRules.TagProblem(query.Tag) is { } tagProblem)
        {
            problems["tag"] = tagProblem;
        }

        if (query.Status is { } status && !Enum.IsDefined(status))
        {
            problems["status"] = "must be one of: queued, sending, sent, delivered, undelivered, failed, scheduled, canceled, received";
        }

        if (query.Direction is { } direction && !Enum.IsDefined(direction))
        {
            problems["direction"] = "must be one of: outbound, inbound";
        }

        if (query.From is not null && !SendRules.IsE164(query.From))
        {
            problems["from"] = "must be E.164";
        }

        if (query.To is not null && !SendRules.IsE164(query.To))
        {
            problems["to"] = "must be E.164";
        }

        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }

        var effective = query with { PageSize = query.PageSize == 0 ? DefaultPageSize : query.PageSize };
        return await messages.ListAsync(caller.OrganizationId, effective, cancellationToken);
    }

    /// <summary>Ownership, the message replied to, consent, line type and media references: the
    /// refusal, or the checked media.</summary>
    private async ValueTask<(Refusal? Refusal, ResolvedMedia? Media)> CheckBusinessRulesAsync(string organizationId, SendMessageCommand command, CancellationToken cancellationToken)
    {
        if (!await numbers.IsOwnedAsync(organizationId, command.From, cancellationToken))
        {
            return (Refusal.Validation("from", "is not a number your organization owns"), null);
        }

        Message? answered = null;
        if (command.InReplyTo is { } inReplyTo)
        {
            answered = await messages.GetAsync(organizationId, inReplyTo, cancellationToken);
            if (answered is not { Direction: MessageDirection.Inbound } || answered.From != command.To || answered.To != command.From)
            {
                return (Refusal.Validation("in_reply_to", InReplyToProblem), null);
            }
        }

        if (!await consents.HasConsentAsync(organizationId, command.To, cancellationToken) &&
            !await StartedConversationAsync(organizationId, command.To, answered, cancellationToken))
        {
            return (new Refusal(RefusalKind.ConsentRequired), null);
        }

        var lookup = await lineTypes.GetAsync(organizationId, command.To, cancellationToken);
        if (lookup is { LineType: LineType.Landline } && time.GetUtcNow() - lookup.LookedUpAt <= messaging.Value.LineTypeLookupMaxAge)
        {
            return (new Refusal(RefusalKind.LineTypeBlocked), null);
        }

        if (command.Media.Count == 0)
        {
            return (null, ResolvedMedia.None);
        }

        var (problems, resolved) = await media.ResolveAsync(organizationId, command.Media, cancellationToken);
        return problems.Count > 0 ? (Refusal.Validation(problems), null) : (null, resolved);
    }

    /// <summary>
    /// Whether a reply needs no recorded opt-in: it answers, within <see cref="ReplyWindow"/>, an
    /// inbound message the person sent, and the person has no opt-out on record. An opt-out stands
    /// until the person sends START, whenever it was made (an inbound STOP always leaves one). The
    /// record is read fresh, not from the send path's cache.
    /// </summary>
    private async ValueTask<bool> StartedConversationAsync(string organizationId, string to, Message? answered, CancellationToken cancellationToken) =>
        answered is not null &&
        time.GetUtcNow() - answered.CreatedAt <= ReplyWindow &&
        await consents.GetAsync(organizationId, to, cancellationToken) is null or { IsGranted: true };

    private Message NewMessage(string organizationId, SendMessageCommand command, ResolvedMedia resolved)
    {
        var segments = SegmentCounter.Count(command.Text);
        var now = time.GetUtcNow();
        var createdAt = MessageTimes.Stamp(now);
        return new Message(
            Id: Guid.NewGuid().ToString("D"),
            OrganizationId: organizationId,
            From: command.From,
            To: command.To,
            Text: command.Text,
            Channel: command.Media.Count > 0 ? MessageChannel.Mms : MessageChannel.Sms,
            Priority: command.Priority ?? MessagePriority.Default,
            Status: DeliveryLifecycle.Initial(command.SendAt is not null),
            Tag: command.Tag,
            Media: command.Media,
            Encoding: segments.Encoding,
            Segments: segments.Segments,
            CreatedAt: createdAt,
            UpdatedAt: createdAt,
            CarrierMediaUrls: resolved.CarrierUrls,
            SendAt: command.SendAt,
            ValidUntil: (command.SendAt ?? createdAt) + TimeSpan.FromSeconds(command.ValidityPeriodSeconds ?? SendRules.DefaultValidityPeriodSeconds),
            InReplyTo: command.InReplyTo,
            TraceParent: LinkableTrace());
    }

    /// <summary>The context a dispatch can link to: the current span's, when it is recorded (a link
    /// to a span nobody receives would lead nowhere, and costs a string and stored bytes).</summary>
    private static string? LinkableTrace() =>
        System.Diagnostics.Activity.Current is { Recorded: true, IdFormat: System.Diagnostics.ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Two requests are the same request when every field means the same; an absent
    /// priority means "default" and an absent validity period the default one. Stored with the
    /// idempotency key, so the priority is spelled by its stored name (a renamed member keeps its
    /// fingerprints) and send_at by its UTC ticks (the same instant in any offset is the same). A
    /// reply's in_reply_to is added only when given, so the fingerprints of other sends stay as
    /// they were.</summary>
    private static string Fingerprint(SendMessageCommand command)
    {
        var canonical = string.Join(
            '\u001f',
            command.From,
            command.To,
            command.Text,
            string.Join('\u001e', command.Media),
            StoredNames.MessagePriority.ToStored(command.Priority ?? MessagePriority.Default),
            command.Tag ?? "\u0000",
            command.SendAt is { } sendAt ? sendAt.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "\u0000",
            (command.ValidityPeriodSeconds ?? SendRules.DefaultValidityPeriodSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (command.InReplyTo is { } inReplyTo)
        {
            canonical += "\u001f" + inReplyTo;
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }

    private static Refusal? ShapeProblems(SendMessageCommand command, string? idempotencyKey, DateTimeOffset now)
    {
        // Made at the first problem: a valid send (nearly every one) allocates none.
        Dictionary<string, string>? problems = null;
        if (idempotencyKey is not null && IdempotencyOptions.KeyProblem(idempotencyKey) is { } keyProblem)
        {
            Problem("Idempotency-Key", keyProblem);
        }

        if (!SendRules.IsE164(command.From))
        {
            Problem("from", "must be E.164");
        }

        if (!SendRules.IsE164(command.To))
        {
            Problem("to", "must be E.164");
        }
        else if (command.To == command.From)
        {
            Problem("to", "must differ from from");
        }

        if (SendRules.TextProblem(command.Text, command.Media.Count > 0) is { } textProblem)
        {
            Problem("text", textProblem);
        }

        if (command.Media.Count > SendRules.MaxMediaItems)
        {
            Problem("media", $"must have at most {SendRules.MaxMediaItems} items");
        }
        else
        {
            for (var i = 0; i < command.Media.Count; i++)
            {
                var entry = command.Media[i];
                if (!SendRules.IsExternalUrl(entry) && !SendRules.IsMediaId(entry))
                {
                    Problem($"media[{i}]", "must be a media_id or an https:// URL");
                }
            }
        }

        if (command.Priority is { } priority && !Enum.IsDefined(priority))
        {
            Problem("priority", "must be one of: default, high");
        }

        if (command.Tag is not null && SendRules.TagProblem(command.Tag) is { } tagProblem)
        {
            Problem("tag", tagProblem);
        }

        if (command.SendAt is { } sendAt && SendRules.SendAtProblem(sendAt, now) is { } sendAtProblem)
        {
            Problem("send_at", sendAtProblem);
        }

        if (command.ValidityPeriodSeconds is { } validity && SendRules.ValidityPeriodProblem(validity) is { } validityProblem)
        {
            Problem("validity_period_seconds", validityProblem);
        }

        if (command.InReplyTo is { } inReplyTo && !Guid.TryParseExact(inReplyTo, "D", out _))
        {
            Problem("in_reply_to", InReplyToProblem);
        }

        return problems is null ? null : Refusal.Validation(problems);

        void Problem(string field, string problem) => (problems ??= new(StringComparer.Ordinal))[field] = problem;
    }
}
