using AgentMessage.Server.Access;
using AgentMessage.Server.Compliance;
using AgentMessage.Server.Errors;
using AgentMessage.Server.Organizations;
using AgentMessage.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Messaging;

/// <summary>The outcome of an accepted send: the message, and the bucket state to report.</summary>
public sealed record SendResult(Message Message, RateLimitDecision RateLimit);

/// <summary>
/// Sending, reading and listing messages for one caller's organization. The checks run in the order
/// of CONTRACT.md section 5, so a caller learns of the cheapest problem first and a request that
/// breaks a business rule still spends a rate-limit token.
/// </summary>
public sealed class MessageService(
    IMessageStore messages,
    IOrganizationStore organizations,
    INumberRegistry numbers,
    IConsentRegistry consents,
    ILineTypeRegistry lineTypes,
    IRateLimiter rateLimiter,
    IOptions<RateLimitOptions> rateLimits,
    IOptions<MessagingOptions> messaging,
    IOptions<MediaOptions> media,
    TimeProvider time)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    public async Task<SendResult> SendAsync(Caller caller, SendMessageCommand command, CancellationToken cancellationToken)
    {
        ValidateShape(command);
        var organization = await organizations.GetAsync(caller.OrganizationId, cancellationToken)
            ?? throw new ApiException(ErrorCode.Unauthorized);
        if (command.Media.Count > 0 && !(media.Value.MmsEnabled && organization.MmsEnabled))
        {
            throw new ApiException(ErrorCode.MmsDisabled);
        }

        var decision = await TakeTokenAsync(organization, RateLimitedOperation.Send, cancellationToken);

        if (!await numbers.IsOwnedAsync(organization.Id, command.From, cancellationToken))
        {
            throw ApiException.Validation("from", "is not a number your organization owns");
        }

        if (!await consents.HasConsentAsync(organization.Id, command.To, cancellationToken))
        {
            throw new ApiException(ErrorCode.ConsentRequired) { RateLimit = decision };
        }

        var lookup = await lineTypes.GetAsync(organization.Id, command.To, cancellationToken);
        var now = time.GetUtcNow();
        if (lookup is { LineType: LineType.Landline } && now - lookup.LookedUpAt <= messaging.Value.LineTypeLookupMaxAge)
        {
            throw new ApiException(ErrorCode.LineTypeBlocked) { RateLimit = decision };
        }

        ValidateMediaReferences(command.Media);

        var segments = SegmentCounter.Count(command.Text);
        var createdAt = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        var message = new Message(
            Id: Guid.NewGuid().ToString("D"),
            OrganizationId: organization.Id,
            From: command.From,
            To: command.To,
            Text: command.Text,
            Channel: command.Media.Count > 0 ? MessageChannel.Mms : MessageChannel.Sms,
            Priority: command.Priority ?? MessagePriority.Default,
            Status: DeliveryStatus.Queued,
            Tag: command.Tag,
            Media: command.Media,
            Encoding: segments.Encoding,
            Segments: segments.Segments,
            CreatedAt: createdAt,
            UpdatedAt: createdAt);
        await messages.AddAsync(message, cancellationToken);
        return new SendResult(message, decision);
    }

    public async Task<Message> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        // An id that is not a UUID cannot name a message: answer as for any unknown message.
        var message = Guid.TryParseExact(id, "D", out _) ? await messages.GetAsync(caller.OrganizationId, id, cancellationToken) : null;
        return message ?? throw new ApiException(ErrorCode.NotFound, "message not found");
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
            problems["status"] = "must be one of: queued, sending, sent, delivered, undelivered, failed";
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }

        var effective = query with { PageSize = query.PageSize == 0 ? DefaultPageSize : query.PageSize };
        return await messages.ListAsync(caller.OrganizationId, effective, cancellationToken);
    }

    private async ValueTask<RateLimitDecision> TakeTokenAsync(Organization organization, RateLimitedOperation operation, CancellationToken cancellationToken)
    {
        var policy = organization.LimitFor(operation) ?? rateLimits.Value.For(operation);
        var decision = await rateLimiter.TryAcquireAsync(organization.Id, operation, policy, cancellationToken);
        if (!decision.Allowed)
        {
            throw new ApiException(ErrorCode.RateLimited) { RetryAfter = decision.RetryAfter, RateLimit = decision };
        }

        return decision;
    }

    private static void ValidateShape(SendMessageCommand command)
    {
        var problems = new Dictionary<string, string>();
        if (!SendRules.IsE164(command.From))
        {
            problems["from"] = "must be E.164";
        }

        if (!SendRules.IsE164(command.To))
        {
            problems["to"] = "must be E.164";
        }
        else if (command.To == command.From)
        {
            problems["to"] = "must differ from from";
        }

        if (SendRules.TextProblem(command.Text, command.Media.Count > 0) is { } textProblem)
        {
            problems["text"] = textProblem;
        }

        if (command.Media.Count > SendRules.MaxMediaItems)
        {
            problems["media"] = $"must have at most {SendRules.MaxMediaItems} items";
        }
        else
        {
            for (var i = 0; i < command.Media.Count; i++)
            {
                var entry = command.Media[i];
                if (!SendRules.IsExternalUrl(entry) && !SendRules.IsMediaId(entry))
                {
                    problems[$"media[{i}]"] = "must be a media_id or an https:// URL";
                }
            }
        }

        if (command.Priority is { } priority && !Enum.IsDefined(priority))
        {
            problems["priority"] = "must be one of: default, high";
        }

        if (command.Tag is not null && SendRules.TagProblem(command.Tag) is { } tagProblem)
        {
            problems["tag"] = tagProblem;
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }
    }

    /// <summary>
    /// Media ids must name an upload of this organization. Uploads are not built yet, so no id can
    /// name one: each is refused by position, exactly as an unknown id will be once they are.
    /// </summary>
    private static void ValidateMediaReferences(IReadOnlyList<string> entries)
    {
        var problems = new Dictionary<string, string>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (SendRules.IsMediaId(entries[i]))
            {
                problems[$"media[{i}]"] = "is not an uploaded media_id of your organization";
            }
        }

        if (problems.Count > 0)
        {
            throw ApiException.Validation(problems);
        }
    }
}
