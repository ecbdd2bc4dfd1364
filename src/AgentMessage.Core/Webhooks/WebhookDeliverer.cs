using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Refusals;
using AgentMessage.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Core.Webhooks;

/// <summary>
/// Fans status events out to the endpoints that subscribe to them and delivers them (docs/API.md
/// section 13). Three loops: the fan-out reads each organization's new events, writes each event's
/// body once and queues it for its endpoints; the delivery loop takes due deliveries organization
/// by organization, within a window of attempts in flight (<see cref="WebhookOptions.MaxInFlight"/>,
/// each endpoint capped by the store), and starts each attempt on its own; the recorder settles
/// finished attempts in batches per organization. Delivery is at-least-once: an attempt whose
/// instance dies is taken again when its lease runs out.
/// </summary>
public sealed partial class WebhookDeliverer(
    IWebhookStore store,
    IMessageStore messages,
    IWebhookPayloadWriter payloads,
    IWebhookTransport transport,
    WebhookSignals signals,
    StatusEventHub hub,
    AgentMessageTelemetry telemetry,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDeliverer> logger) : BackgroundService
{
    private const int FanOutBatch = 512;
    private const int ClaimBatch = 128;
    private const int SettleBatch = 512;
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan EndpointCacheAge = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    private readonly Channel<(string Organization, WebhookSettlement Settlement)> settled =
        Channel.CreateUnbounded<(string, WebhookSettlement)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly ConcurrentDictionary<string, (long At, Dictionary<string, WebhookEndpoint> Endpoints)> endpointCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> notBefore = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.DeliveryEnabled)
        {
            LogDisabled(WebhookOptions.Section);
            return;
        }

        hub.AddTap(_ => signals.Events.Ring());
        using var window = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        var recorder = Task.Run(RecordAsync, CancellationToken.None);
        var fanOut = Task.Run(() => FanOutLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            await DeliveryLoopAsync(window, stoppingToken);
        }
        finally
        {
            await fanOut;

            // Attempts under way finish (each bounded by the timeout) and are recorded.
            for (var i = 0; i < settings.MaxInFlight; i++)
            {
                await window.WaitAsync(settings.Timeout + TimeSpan.FromSeconds(1), CancellationToken.None);
            }

            settled.Writer.TryComplete();
            await recorder;
        }
    }

    private async Task FanOutLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var fannedOut = 0;
                foreach (var organizationId in await store.OrganizationsAsync(stoppingToken))
                {
                    fannedOut += await FanOutAsync(organizationId, stoppingToken);
                }

                if (fannedOut > 0)
                {
                    signals.Work.Ring();
                }
                else
                {
                    await signals.Events.WaitAsync(IdleWait, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Report(exception);
                await PauseAsync(stoppingToken);
            }
        }
    }

    private async Task<int> FanOutAsync(string organizationId, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var read = await store.ReadEventsAsync(organizationId, FanOutBatch, cancellationToken);
            if (read.Count == 0)
            {
                return total;
            }

            // One read per message, all at once (a store pipelines them): a batch often holds
            // several events of one message, and reading them one after another would cap the
            // fan-out at one round trip per event.
            var ids = read.Select(e => e.MessageId).Distinct(StringComparer.Ordinal).ToList();
            var found = await Task.WhenAll(ids.Select(id => messages.GetAsync(organizationId, id, cancellationToken).AsTask()));
            var byId = new Dictionary<string, Message>(ids.Count, StringComparer.Ordinal);
            for (var i = 0; i < ids.Count; i++)
            {
                if (found[i] is { } message)
                {
                    byId[ids[i]] = message;
                }
            }

            var events = new List<WebhookEvent>(read.Count);
            foreach (var statusEvent in read)
            {
                // A message gone (retention) by the time its event is read has nothing to show.
                if (!byId.TryGetValue(statusEvent.MessageId, out var message))
                {
                    continue;
                }

                var type = statusEvent.Direction == MessageDirection.Inbound ? WebhookEventTypes.MessageReceived : WebhookEventTypes.MessageStatus;

                // The event's own time, as the message store recorded it in updated_at.
                var occurredAt = statusEvent.OccurredAt;
                var shown = message with { Status = statusEvent.Status, ErrorCode = statusEvent.ErrorCode, UpdatedAt = occurredAt };
                var body = payloads.WriteMessageEvent(type, occurredAt, shown);
                events.Add(new WebhookEvent(WebhookManager.EventIdOf(organizationId, statusEvent.EventId), type, body));
            }

            await store.FanOutAsync(organizationId, read, events, cancellationToken);
            total += events.Count;
            if (read.Count < FanOutBatch)
            {
                return total;
            }
        }
    }

    private async Task DeliveryLoopAsync(SemaphoreSlim window, CancellationToken stoppingToken)
    {
        var lease = options.Value.Timeout + LeaseMargin;
        var turn = 0u;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow();
                var organizations = (await store.OrganizationsAsync(stoppingToken))
                    .Where(org => !notBefore.TryGetValue(org, out var at) || at <= now)
                    .ToList();
                var took = 0;
                var windowFull = false;
                DateTimeOffset? nextDue = null;
                var start = organizations.Count == 0 ? 0 : (int)(turn++ % (uint)organizations.Count);
                for (var i = 0; i < organizations.Count; i++)
                {
                    var free = window.CurrentCount;
                    if (free == 0)
                    {
                        windowFull = true;
                        break;
                    }

                    var share = Math.Clamp(free / (organizations.Count - i), 1, ClaimBatch);
                    var organizationId = organizations[(start + i) % organizations.Count];
                    var claim = await store.ClaimAsync(organizationId, share, options.Value.MaxInFlightPerEndpoint, lease, stoppingToken);
                    if (claim.Jobs.Count > 0)
                    {
                        var endpoints = await EndpointsAsync(organizationId, claim.Jobs, stoppingToken);
                        foreach (var job in claim.Jobs)
                        {
                            window.Wait(0, CancellationToken.None);
                            _ = AttemptAsync(organizationId, job, endpoints.GetValueOrDefault(job.EndpointId), window);
                        }
                    }

                    took += claim.Jobs.Count;
                    if (claim.Jobs.Count < share)
                    {
                        if (claim.NextDueAt is { } due)
                        {
                            notBefore[organizationId] = due;
                            nextDue = nextDue is null || due < nextDue ? due : nextDue;
                        }
                        else
                        {
                            notBefore[organizationId] = now + IdleWait;
                        }
                    }
                }

                if (windowFull)
                {
                    await window.WaitAsync(stoppingToken);
                    window.Release();
                }
                else if (took == 0)
                {
                    var wait = nextDue is { } at ? at - time.GetUtcNow() : IdleWait;
                    wait = wait < IdleWait ? wait : IdleWait;
                    if (wait > TimeSpan.Zero)
                    {
                        await signals.Work.WaitAsync(wait, time, stoppingToken);
                    }

                    // A ring means work may be due anywhere; the idle wait re-reads everyone too.
                    notBefore.Clear();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Report(exception);
                await PauseAsync(stoppingToken);
            }
        }
    }

    /// <summary>The endpoints of the organization, read at most once a second per organization (a
    /// changed URL or a rotated secret is used within a second), and again for one not known yet.</summary>
    private async Task<Dictionary<string, WebhookEndpoint>> EndpointsAsync(string organizationId, IReadOnlyList<WebhookJob> jobs, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (endpointCache.TryGetValue(organizationId, out var cached) && time.GetElapsedTime(cached.At, now) < EndpointCacheAge &&
            jobs.All(job => cached.Endpoints.ContainsKey(job.EndpointId)))
        {
            return cached.Endpoints;
        }

        var endpoints = (await store.ListAsync(organizationId, cancellationToken)).ToDictionary(e => e.Id, StringComparer.Ordinal);
        endpointCache[organizationId] = (now, endpoints);
        return endpoints;
    }

    /// <summary>One attempt, from signing to the endpoint's answer; never throws.</summary>
    private async Task AttemptAsync(string organizationId, WebhookJob job, WebhookEndpoint? endpoint, SemaphoreSlim window)
    {
        try
        {
            var startedAt = MessageTimes.Stamp(time.GetUtcNow());
            WebhookResponse response;
            if (endpoint is null)
            {
                // Deleted since the claim: nothing to deliver to; the job went with it.
                return;
            }

            using var span = AgentMessageTelemetry.Source.StartActivity("Webhook delivery", System.Diagnostics.ActivityKind.Client);
            span?.SetTag(AgentMessageTelemetry.OrganizationTag, organizationId);
            span?.SetTag(AgentMessageTelemetry.WebhookTag, job.EndpointId);
            span?.SetTag(AgentMessageTelemetry.EventTypeTag, job.Type);
            span?.SetTag("agentmessage.attempt", job.Attempt);
            var timestamp = startedAt.ToUnixTimeSeconds();
            var signature = WebhookSigner.Sign(endpoint.SigningSecrets(startedAt), job.EventId, timestamp, job.Body.Span);
            KeyValuePair<string, string>[] headers =
            [
                new("webhook-id", job.EventId),
                new("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture)),
                new("webhook-signature", signature),
            ];
            response = await transport.PostAsync(endpoint.Url, job.Body, headers, CancellationToken.None);
            var settlement = Settle(job, startedAt, response);
            span?.SetTag("http.response.status_code", response.Status);
            if (!response.Succeeded)
            {
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, response.Error ?? $"HTTP {response.Status}");
            }

            telemetry.WebhookAttempt(
                OutcomeName(settlement.Attempt.Outcome),
                job.Type,
                response.Succeeded && telemetry.MeasuresWebhookDelay && EventTimeOf(job.Body.Span) is { } at ? time.GetUtcNow() - at : null);
            settled.Writer.TryWrite((organizationId, settlement));
        }
        catch (Exception exception)
        {
            // Not the endpoint's failure (the transport answers those): record a failed attempt so
            // the event follows its schedule rather than waiting for its lease to run out.
            Report(exception);
            settled.Writer.TryWrite((organizationId, Settle(job, time.GetUtcNow(), new WebhookResponse(0, "internal error", TimeSpan.Zero))));
        }
        finally
        {
            window.Release();
        }
    }

    private static string OutcomeName(WebhookOutcome outcome) => outcome switch
    {
        WebhookOutcome.Succeeded => "succeeded",
        WebhookOutcome.Retrying => "retrying",
        _ => "failed",
    };

    /// <summary>The event's time, the body's top-level "timestamp" (written second, after "type").</summary>
    private static DateTimeOffset? EventTimeOf(ReadOnlySpan<byte> body)
    {
        var reader = new System.Text.Json.Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("timestamp"u8))
                {
                    return reader.Read() && reader.TryGetDateTimeOffset(out var at) ? at : null;
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return null;
    }

    private WebhookSettlement Settle(WebhookJob job, DateTimeOffset startedAt, WebhookResponse response)
    {
        var schedule = options.Value.EffectiveRetrySchedule;
        var (disposition, outcome, retryAt) = response switch
        {
            { Succeeded: true } => (WebhookDisposition.Delivered, WebhookOutcome.Succeeded, (DateTimeOffset?)null),
            { Status: 410 } => (WebhookDisposition.Gone, WebhookOutcome.Failed, null),
            _ when job.Attempt <= schedule.Count => (WebhookDisposition.Retry, WebhookOutcome.Retrying, time.GetUtcNow() + schedule[job.Attempt - 1]),
            _ => (WebhookDisposition.GiveUp, WebhookOutcome.Failed, null),
        };
        if (disposition != WebhookDisposition.Delivered)
        {
            LogAttemptFailed(job.EndpointId, job.EventId, job.Attempt, response.Status, response.Error ?? "-");
        }

        var attempt = new WebhookAttempt(
            job.EventId, job.Type, job.Attempt, startedAt, response.Status, response.Error,
            (int)Math.Min(int.MaxValue, response.Duration.TotalMilliseconds), outcome, retryAt);
        return new WebhookSettlement(job, disposition, retryAt, attempt);
    }

    private async Task RecordAsync()
    {
        var batch = new List<(string Organization, WebhookSettlement Settlement)>(SettleBatch);
        while (await settled.Reader.WaitToReadAsync())
        {
            while (batch.Count < SettleBatch && settled.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            foreach (var group in batch.GroupBy(item => item.Organization, StringComparer.Ordinal))
            {
                var settlements = group.Select(item => item.Settlement).ToList();
                while (true)
                {
                    try
                    {
                        await store.SettleAsync(group.Key, settlements, options.Value.DisableAfter, options.Value.AttemptLogLength, CancellationToken.None);
                        break;
                    }
                    catch (Exception exception) when (exception is StoreUnavailableException)
                    {
                        // Only in memory until recorded: keep trying; the leases cover a long outage.
                        await Task.Delay(FailureBackoff, time);
                    }
                    catch (Exception exception)
                    {
                        Report(exception);
                        break;
                    }
                }

                // Settled attempts free their endpoints' room (and a retry may be due soon).
                signals.Work.Ring();
            }

            batch.Clear();
        }
    }

    private async Task PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FailureBackoff, time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Report(Exception exception)
    {
        if (exception is StoreUnavailableException)
        {
            return; // the store's gate has logged the outage
        }

        LogFailure(exception);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery is off on this instance ({Section}:DeliveryEnabled=false)")]
    private partial void LogDisabled(string section);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {EndpointId} event {EventId} attempt {Attempt} failed: status {Status}, error {Error}")]
    private partial void LogAttemptFailed(string endpointId, string eventId, int attempt, int status, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook delivery failed")]
    private partial void LogFailure(Exception exception);
}
