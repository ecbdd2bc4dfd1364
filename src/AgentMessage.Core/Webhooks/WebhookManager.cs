using System.Security.Cryptography;
using System.Text;
using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.Refusals;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Webhooks;

/// <summary>
/// The WebhookService's rules (docs/API.md section 13): what a valid endpoint is, the limit per
/// organization, secrets and their rotation, test events and the attempt log, every read and write
/// confined to the caller's organization.
/// </summary>
public sealed class WebhookManager(
    IWebhookStore store,
    IWebhookDestinationCheck destinations,
    IWebhookPayloadWriter payloads,
    IOptions<WebhookOptions> options,
    TimeProvider time)
{
    public const int MaxUrlLength = 2048;
    public const int MaxDescriptionLength = 200;
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    public async Task<WebhookEndpoint> CreateAsync(Caller caller, string url, IReadOnlyList<string> events, string description, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        await CheckUrlAsync(url, problems, cancellationToken);
        CheckEvents(events, problems, required: true);
        CheckDescription(description, problems);
        ThrowIfAny(problems);

        var now = MessageTimes.Stamp(time.GetUtcNow());
        var endpoint = new WebhookEndpoint(
            OperatorService.NewId("wh_"), url, Normalize(events), description, null, WebhookSigner.NewSecret(), null, null, now, now);
        var limit = options.Value.MaxPerOrganization;
        if (!await store.CreateAsync(caller.OrganizationId, endpoint, limit, cancellationToken))
        {
            throw RefusalException.Validation("webhooks", $"the organization already has {limit} webhook endpoints, the most it may have");
        }

        return endpoint;
    }

    public async Task<WebhookEndpoint> GetAsync(Caller caller, string id, CancellationToken cancellationToken) =>
        await store.GetAsync(caller.OrganizationId, RequireId(id), cancellationToken) ?? throw NotFound();

    public async Task<(IReadOnlyList<WebhookEndpoint> Endpoints, string? NextPageToken)> ListAsync(Caller caller, int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var size = PageSize(pageSize);
        var start = pageToken.Length == 0 ? 0 : PageToken.Decode(pageToken);
        var all = await store.ListAsync(caller.OrganizationId, cancellationToken);
        var page = all.Skip((int)Math.Min(start, int.MaxValue)).Take(size).ToList();
        var next = start + page.Count < all.Count ? PageToken.Encode(start + page.Count) : null;
        return (page, next);
    }

    public async Task<WebhookEndpoint> UpdateAsync(
        Caller caller, string id, string url, IReadOnlyList<string> events, string? description, bool? enabled, CancellationToken cancellationToken)
    {
        var current = await GetAsync(caller, id, cancellationToken);
        var problems = new Dictionary<string, string>();
        if (url.Length > 0)
        {
            await CheckUrlAsync(url, problems, cancellationToken);
        }

        CheckEvents(events, problems, required: false);
        if (description is not null)
        {
            CheckDescription(description, problems);
        }

        ThrowIfAny(problems);
        var disabledReason = enabled switch
        {
            true => null,
            false => current.DisabledReason ?? WebhookDisabledReasons.Manual,
            null => current.DisabledReason,
        };
        var updated = current with
        {
            Url = url.Length > 0 ? url : current.Url,
            Events = events.Count > 0 ? Normalize(events) : current.Events,
            Description = description ?? current.Description,
            DisabledReason = disabledReason,
            UpdatedAt = MessageTimes.Stamp(time.GetUtcNow()),
        };
        if (!await store.UpdateAsync(caller.OrganizationId, updated, cancellationToken))
        {
            throw NotFound();
        }

        return updated;
    }

    public async Task DeleteAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(caller.OrganizationId, RequireId(id), cancellationToken))
        {
            throw NotFound();
        }
    }

    public async Task<WebhookEndpoint> RotateSecretAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var current = await GetAsync(caller, id, cancellationToken);
        var now = MessageTimes.Stamp(time.GetUtcNow());
        var rotated = current with
        {
            Secret = WebhookSigner.NewSecret(),
            PreviousSecret = current.Secret,
            PreviousSecretExpiresAt = now + options.Value.SecretOverlap,
            UpdatedAt = now,
        };
        if (!await store.UpdateAsync(caller.OrganizationId, rotated, cancellationToken))
        {
            throw NotFound();
        }

        return rotated;
    }

    /// <summary>Queues a webhook.test event for the endpoint and returns its event id.</summary>
    public async Task<string> TestAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        var endpoint = await GetAsync(caller, id, cancellationToken);
        var eventId = "evt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13));
        var body = payloads.WriteTestEvent(MessageTimes.Stamp(time.GetUtcNow()), endpoint.Id);
        await store.EnqueueAsync(caller.OrganizationId, endpoint.Id, new WebhookEvent(eventId, WebhookEventTypes.Test, body), cancellationToken);
        return eventId;
    }

    public async Task<(IReadOnlyList<WebhookAttempt> Attempts, string? NextPageToken)> AttemptsAsync(
        Caller caller, string id, int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var size = PageSize(pageSize);
        long? before = pageToken.Length == 0 ? null : PageToken.Decode(pageToken);
        var endpoint = await GetAsync(caller, id, cancellationToken);
        var (attempts, next) = await store.AttemptsAsync(caller.OrganizationId, endpoint.Id, before, size, cancellationToken);
        return (attempts, next is { } position ? PageToken.Encode(position) : null);
    }

    /// <summary>The webhook-id of a status event: stable for the event (every retry, every fan-out)
    /// and unique across organizations, whose event ids alone may coincide.</summary>
    public static string EventIdOf(string organizationId, string statusEventId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{organizationId}\n{statusEventId}"), hash);
        return "evt_" + Convert.ToHexStringLower(hash[..13]);
    }

    private async Task CheckUrlAsync(string url, Dictionary<string, string> problems, CancellationToken cancellationToken)
    {
        if (url.Length == 0)
        {
            problems["url"] = "is required";
        }
        else if (url.Length > MaxUrlLength)
        {
            problems["url"] = $"must not be longer than {MaxUrlLength} characters";
        }
        else if (await destinations.CheckAsync(url, cancellationToken) is { } problem)
        {
            problems["url"] = problem;
        }
    }

    private static void CheckEvents(IReadOnlyList<string> events, Dictionary<string, string> problems, bool required)
    {
        if (events.Count == 0)
        {
            if (required)
            {
                problems["events"] = $"must name at least one of: {string.Join(", ", WebhookEventTypes.Subscribable)}";
            }

            return;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (!WebhookEventTypes.Subscribable.Contains(events[i]))
            {
                problems[$"events[{i}]"] = $"must be one of: {string.Join(", ", WebhookEventTypes.Subscribable)}";
            }
        }
    }

    private static void CheckDescription(string description, Dictionary<string, string> problems)
    {
        if (description.Length > MaxDescriptionLength)
        {
            problems["description"] = $"must not be longer than {MaxDescriptionLength} characters";
        }
        else if (description.Any(char.IsControl))
        {
            problems["description"] = "must not contain control characters";
        }
    }

    private static IReadOnlyList<string> Normalize(IReadOnlyList<string> events) =>
        [.. WebhookEventTypes.Subscribable.Where(events.Contains)];

    private static int PageSize(int pageSize) => pageSize switch
    {
        0 => DefaultPageSize,
        < 0 or > MaxPageSize => throw RefusalException.Validation("page_size", $"must be 1..{MaxPageSize}"),
        _ => pageSize,
    };

    private static string RequireId(string id) =>
        id.Length > 0 ? id : throw RefusalException.Validation("id", "is required");

    private static void ThrowIfAny(Dictionary<string, string> problems)
    {
        if (problems.Count > 0)
        {
            throw RefusalException.Validation(problems);
        }
    }

    private static RefusalException NotFound() => new(RefusalKind.NotFound, "webhook not found");
}
