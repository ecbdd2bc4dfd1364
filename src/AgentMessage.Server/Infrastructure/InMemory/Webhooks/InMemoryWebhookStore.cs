using AgentMessage.Core.Delivery;
using AgentMessage.Core.Webhooks;

namespace AgentMessage.Server.Infrastructure.InMemory.Webhooks;

/// <summary>
/// Webhook endpoints and pending deliveries of the embedded default: the same rules as the Redis
/// store (one job per endpoint and event, leases, the per-endpoint cap, disabling), in this
/// process only. The fan-out reads the in-memory status log from a cursor per organization.
/// </summary>
public sealed class InMemoryWebhookStore(IStatusEventLog log, WebhookSignals signals, TimeProvider time) : IWebhookStore
{
    private readonly object gate = new();
    private readonly Dictionary<string, Organization> organizations = new(StringComparer.Ordinal);

    public async ValueTask<bool> CreateAsync(string organizationId, WebhookEndpoint endpoint, int maxPerOrganization, CancellationToken cancellationToken)
    {
        // Events from now on: the cursor starts at the log's newest event when the first endpoint comes.
        var newest = await log.LastEventIdAsync(organizationId, cancellationToken);
        lock (gate)
        {
            if (!organizations.TryGetValue(organizationId, out var org))
            {
                organizations[organizationId] = org = new Organization(newest);
            }

            if (org.Endpoints.Count >= maxPerOrganization)
            {
                return false;
            }

            org.Endpoints[endpoint.Id] = endpoint;
            org.Created[endpoint.Id] = org.Creations++;
            return true;
        }
    }

    public ValueTask<WebhookEndpoint?> GetAsync(string organizationId, string endpointId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return ValueTask.FromResult(Find(organizationId)?.Endpoints.GetValueOrDefault(endpointId));
        }
    }

    public ValueTask<IReadOnlyList<WebhookEndpoint>> ListAsync(string organizationId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<WebhookEndpoint> list = Find(organizationId) is { } org
                ? [.. org.Endpoints.Values.OrderBy(e => org.Created[e.Id])]
                : [];
            return ValueTask.FromResult(list);
        }
    }

    public ValueTask<bool> UpdateAsync(string organizationId, WebhookEndpoint endpoint, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is not { } org || !org.Endpoints.TryGetValue(endpoint.Id, out var current))
            {
                return ValueTask.FromResult(false);
            }

            org.Endpoints[endpoint.Id] = endpoint;
            if (endpoint.Enabled && !current.Enabled)
            {
                org.Failing.Remove(endpoint.Id);
                var now = time.GetUtcNow();
                foreach (var job in org.Jobs.Values.Where(j => j.Job.EndpointId == endpoint.Id && j.LeasedUntil is null))
                {
                    job.DueAt = now;
                }

                signals.Work.Ring();
            }

            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> DeleteAsync(string organizationId, string endpointId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is not { } org || !org.Endpoints.Remove(endpointId))
            {
                return ValueTask.FromResult(false);
            }

            org.Created.Remove(endpointId);

            foreach (var id in org.Jobs.Where(j => j.Value.Job.EndpointId == endpointId).Select(j => j.Key).ToList())
            {
                org.Jobs.Remove(id);
            }

            org.Attempts.Remove(endpointId);
            org.Failing.Remove(endpointId);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<IReadOnlyList<string>> OrganizationsAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<string> list = [.. organizations.Where(o => o.Value.Endpoints.Count > 0 || o.Value.Jobs.Count > 0).Select(o => o.Key)];
            return ValueTask.FromResult(list);
        }
    }

    public async ValueTask<IReadOnlyList<StatusEvent>> ReadEventsAsync(string organizationId, int max, CancellationToken cancellationToken)
    {
        string? cursor;
        lock (gate)
        {
            if (Find(organizationId) is not { } org)
            {
                return [];
            }

            cursor = org.Cursor;
        }

        return await log.ReadAsync(organizationId, cursor, max, cancellationToken);
    }

    public ValueTask FanOutAsync(string organizationId, IReadOnlyList<StatusEvent> read, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is not { } org)
            {
                return ValueTask.CompletedTask;
            }

            var now = time.GetUtcNow();
            foreach (var webhookEvent in events)
            {
                foreach (var endpoint in org.Endpoints.Values.Where(e => e.Enabled && e.Events.Contains(webhookEvent.Type)))
                {
                    var job = new WebhookJob(endpoint.Id, webhookEvent.EventId, webhookEvent.Type, 1, webhookEvent.Body);
                    org.Jobs.TryAdd(job.JobId, new PendingJob(job, now));
                }
            }

            if (read.Count > 0)
            {
                org.Cursor = read[^1].EventId;
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask EnqueueAsync(string organizationId, string endpointId, WebhookEvent webhookEvent, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is { } org && org.Endpoints.ContainsKey(endpointId))
            {
                var job = new WebhookJob(endpointId, webhookEvent.EventId, webhookEvent.Type, 1, webhookEvent.Body);
                org.Jobs.TryAdd(job.JobId, new PendingJob(job, time.GetUtcNow()));
                signals.Work.Ring();
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<WebhookClaim> ClaimAsync(string organizationId, int max, int maxInFlightPerEndpoint, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is not { } org)
            {
                return ValueTask.FromResult(WebhookClaim.Empty);
            }

            var now = time.GetUtcNow();
            foreach (var expired in org.Jobs.Values.Where(j => j.LeasedUntil <= now))
            {
                expired.LeasedUntil = null;
                expired.DueAt = now;
            }

            var inFlight = org.Jobs.Values.Where(j => j.LeasedUntil is not null).GroupBy(j => j.Job.EndpointId).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var taken = new List<WebhookJob>();
            DateTimeOffset? nextDue = null;
            foreach (var pending in org.Jobs.Values.Where(j => j.LeasedUntil is null).OrderBy(j => j.DueAt))
            {
                if (!org.Endpoints.TryGetValue(pending.Job.EndpointId, out var endpoint) || !endpoint.Enabled)
                {
                    continue;
                }

                if (inFlight.GetValueOrDefault(endpoint.Id) >= maxInFlightPerEndpoint)
                {
                    // Nothing due before an attempt settles or a lease runs out (counted below).
                    continue;
                }

                if (pending.DueAt > now || taken.Count >= max)
                {
                    var due = pending.DueAt > now ? pending.DueAt : now;
                    nextDue = nextDue is null || due < nextDue ? due : nextDue;
                    continue;
                }

                pending.LeasedUntil = now + lease;
                inFlight[endpoint.Id] = inFlight.GetValueOrDefault(endpoint.Id) + 1;
                taken.Add(pending.Job);
            }

            foreach (var leased in org.Jobs.Values.Where(j => j.LeasedUntil is not null))
            {
                nextDue = nextDue is null || leased.LeasedUntil < nextDue ? leased.LeasedUntil : nextDue;
            }

            return ValueTask.FromResult(new WebhookClaim(taken, nextDue));
        }
    }

    public ValueTask SettleAsync(string organizationId, IReadOnlyList<WebhookSettlement> settlements, TimeSpan disableAfter, int attemptLogLength, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId) is not { } org)
            {
                return ValueTask.CompletedTask;
            }

            var now = time.GetUtcNow();
            foreach (var settlement in settlements)
            {
                var job = settlement.Job;
                if (!org.Endpoints.TryGetValue(job.EndpointId, out var endpoint) || !org.Jobs.TryGetValue(job.JobId, out var pending))
                {
                    continue; // deleted meanwhile
                }

                if (!org.Attempts.TryGetValue(job.EndpointId, out var attempts))
                {
                    org.Attempts[job.EndpointId] = attempts = new AttemptLog();
                }

                attempts.Add(settlement.Attempt, attemptLogLength);
                switch (settlement.Disposition)
                {
                    case WebhookDisposition.Delivered:
                        org.Jobs.Remove(job.JobId);
                        org.Failing.Remove(job.EndpointId);
                        continue;
                    case WebhookDisposition.GiveUp:
                        org.Jobs.Remove(job.JobId);
                        break;
                    case WebhookDisposition.Retry:
                        org.Jobs[job.JobId] = new PendingJob(job with { Attempt = job.Attempt + 1 }, settlement.RetryAt ?? now);
                        break;
                    case WebhookDisposition.Gone:
                        org.Jobs[job.JobId] = new PendingJob(job with { Attempt = job.Attempt + 1 }, now);
                        if (endpoint.Enabled)
                        {
                            org.Endpoints[endpoint.Id] = endpoint = endpoint with { DisabledReason = WebhookDisabledReasons.Gone, UpdatedAt = now };
                        }

                        break;
                }

                // A failure: the endpoint has been failing since its first failure after a success.
                if (!org.Failing.TryGetValue(job.EndpointId, out var since))
                {
                    org.Failing[job.EndpointId] = since = settlement.Attempt.AttemptedAt;
                }

                if (endpoint.Enabled && now - since >= disableAfter)
                {
                    org.Endpoints[endpoint.Id] = endpoint with { DisabledReason = WebhookDisabledReasons.Failing, UpdatedAt = now };
                }
            }

            return ValueTask.CompletedTask;
        }
    }

    public ValueTask<(IReadOnlyList<WebhookAttempt> Attempts, long? Next)> AttemptsAsync(string organizationId, string endpointId, long? before, int count, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (Find(organizationId)?.Attempts.GetValueOrDefault(endpointId) is not { } attempts)
            {
                return ValueTask.FromResult<(IReadOnlyList<WebhookAttempt>, long?)>(([], null));
            }

            return ValueTask.FromResult(attempts.Page(before, count));
        }
    }

    private Organization? Find(string organizationId) => organizations.GetValueOrDefault(organizationId);

    private sealed class Organization(string? cursor)
    {
        public string? Cursor { get; set; } = cursor;

        public Dictionary<string, WebhookEndpoint> Endpoints { get; } = new(StringComparer.Ordinal);

        /// <summary>Each endpoint's place in the order of creation, which the listing follows.</summary>
        public Dictionary<string, long> Created { get; } = new(StringComparer.Ordinal);

        public long Creations { get; set; }

        public Dictionary<string, PendingJob> Jobs { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, AttemptLog> Attempts { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, DateTimeOffset> Failing { get; } = new(StringComparer.Ordinal);
    }

    private sealed class PendingJob(WebhookJob job, DateTimeOffset dueAt)
    {
        public WebhookJob Job { get; } = job;

        public DateTimeOffset DueAt { get; set; } = dueAt;

        public DateTimeOffset? LeasedUntil { get; set; }
    }

    /// <summary>Attempts numbered 1, 2, ... in order; the position of a page is a number.</summary>
    private sealed class AttemptLog
    {
        private readonly List<(long Position, WebhookAttempt Attempt)> entries = [];
        private long last;

        public void Add(WebhookAttempt attempt, int keep)
        {
            entries.Add((++last, attempt));
            if (entries.Count > keep)
            {
                entries.RemoveRange(0, entries.Count - keep);
            }
        }

        public (IReadOnlyList<WebhookAttempt>, long?) Page(long? before, int count)
        {
            var page = entries.Where(e => before is null || e.Position < before).Reverse().Take(count + 1).ToList();
            var more = page.Count > count;
            var shown = page.Take(count).ToList();
            return (shown.Select(e => e.Attempt).ToList(), more ? shown[^1].Position : null);
        }
    }
}
