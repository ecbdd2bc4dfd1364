using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentMessage.Core.Telemetry;

/// <summary>
/// Every span source and domain instrument of the service, in one place (docs/OBSERVABILITY.md
/// lists them with units and attributes). Plain System.Diagnostics: with nothing listening (telemetry
/// switched off) a span is never started and an instrument records nothing, at almost no cost.
/// No attribute may carry a phone number, a text or a key: ids, codes and statuses only.
/// </summary>
/// <remarks>
/// To add an instrument: a name constant, a field created in the constructor and, for an observable
/// one, an <c>Observe…</c> method the owner of the value calls once. Names follow OpenTelemetry's
/// conventions (dots; the unit in <c>unit</c>, not in the name); the Prometheus endpoint adds the
/// unit suffix (<c>agentmessage_dispatch_queued_to_sent_seconds</c>).
/// </remarks>
public sealed class AgentMessageTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "AgentMessage";

    public const string SendsAccepted = "agentmessage.sends.accepted";
    public const string SendsRefused = "agentmessage.sends.refused";
    public const string QueueDepth = "agentmessage.dispatch.queue.depth";
    public const string QueueOldestAge = "agentmessage.dispatch.queue.oldest_age";
    public const string InFlight = "agentmessage.dispatch.in_flight";
    public const string Submissions = "agentmessage.dispatch.submissions";
    public const string QueuedToSent = "agentmessage.dispatch.queued_to_sent";
    public const string SentToFinal = "agentmessage.delivery.sent_to_final";
    public const string Receipts = "agentmessage.delivery.receipts";
    public const string ActiveStreams = "agentmessage.streams.active";
    public const string RedisDuration = "agentmessage.redis.duration";
    public const string SmppBinds = "agentmessage.smpp.binds";
    public const string SmppWindowUsed = "agentmessage.smpp.window.used";
    public const string SmppWindowSize = "agentmessage.smpp.window.size";

    /// <summary>Webhook attempts by outcome and event type, and the delay from an event to its
    /// successful delivery.</summary>
    public const string WebhookDeliveries = "agentmessage.webhooks.deliveries";
    public const string WebhookDeliveryDelay = "agentmessage.webhooks.delivery_delay";

    /// <summary>Attribute names.</summary>
    public const string ErrorCodeTag = "error.code";
    public const string ChannelTag = "agentmessage.channel";
    public const string OutcomeTag = "agentmessage.outcome";
    public const string EventTypeTag = "agentmessage.event_type";
    public const string WebhookTag = "agentmessage.webhook_id";
    public const string StatusTag = "agentmessage.status";
    public const string OrganizationTag = "agentmessage.organization_id";
    public const string MessageTag = "agentmessage.message_id";

    /// <summary>Spans of the domain and of the carrier links. Static, as ActivitySource is meant to
    /// be: each listener (a tracer provider) picks it up by <see cref="Name"/>.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>Bucket bounds (seconds) for the delivery times: from a few milliseconds to hours.</summary>
    private static readonly double[] DeliveryBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400];

    /// <summary>Bucket bounds (seconds) for one Redis call.</summary>
    private static readonly double[] RedisBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly Counter<long> sendsAccepted;
    private readonly Counter<long> sendsRefused;
    private readonly UpDownCounter<long> inFlight;
    private readonly Counter<long> submissions;
    private readonly Histogram<double> queuedToSent;
    private readonly Histogram<double> sentToFinal;
    private readonly Counter<long> receipts;
    private readonly UpDownCounter<long> activeStreams;
    private readonly Histogram<double> redisDuration;
    private readonly Counter<long> webhookDeliveries;
    private readonly Histogram<double> webhookDelay;

    public AgentMessageTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter = meters.Create(Name);
        sendsAccepted = Meter.CreateCounter<long>(SendsAccepted, "{message}", "Sends accepted (answered 202 / OK), by channel");
        sendsRefused = Meter.CreateCounter<long>(SendsRefused, "{send}", "Sends refused, by error code");
        inFlight = Meter.CreateUpDownCounter<long>(InFlight, "{submission}", "Submissions handed to the carrier and not yet answered");
        submissions = Meter.CreateCounter<long>(Submissions, "{submission}", "Carrier answers to submissions: sent, failed, deferred or unknown");
        queuedToSent = Meter.CreateHistogram<double>(QueuedToSent, "s", "From the time a message fell due (accepted, or its send_at) to the carrier accepting it",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DeliveryBuckets });
        sentToFinal = Meter.CreateHistogram<double>(SentToFinal, "s", "From the carrier accepting a message to its final receipt, by final status",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DeliveryBuckets });
        receipts = Meter.CreateCounter<long>(Receipts, "{receipt}", "Carrier receipts that moved a message to a final status, by that status");
        activeStreams = Meter.CreateUpDownCounter<long>(ActiveStreams, "{stream}", "Status streams open on this instance");
        redisDuration = Meter.CreateHistogram<double>(RedisDuration, "s", "One Redis call (a command, a script or a pipeline), by outcome",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RedisBuckets });
        webhookDeliveries = Meter.CreateCounter<long>(WebhookDeliveries, "{attempt}", "Webhook delivery attempts, by outcome (succeeded, retrying, failed) and event type");
        webhookDelay = Meter.CreateHistogram<double>(WebhookDeliveryDelay, "s", "From an event to its successful webhook delivery, retries included, by event type",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DeliveryBuckets });
    }

    /// <summary>The meter, for instruments added elsewhere under the same name.</summary>
    public Meter Meter { get; }

    public void SendAccepted(string channel) => sendsAccepted.Add(1, new KeyValuePair<string, object?>(ChannelTag, channel));

    public void SendRefused(string errorCode) => sendsRefused.Add(1, new KeyValuePair<string, object?>(ErrorCodeTag, errorCode));

    public void SubmissionStarted() => inFlight.Add(1);

    /// <param name="outcome">sent, failed, deferred or unknown.</param>
    public void SubmissionEnded(string outcome)
    {
        inFlight.Add(-1);
        submissions.Add(1, new KeyValuePair<string, object?>(OutcomeTag, outcome));
    }

    public void Sent(TimeSpan sinceDue)
    {
        if (queuedToSent.Enabled)
        {
            queuedToSent.Record(Math.Max(0, sinceDue.TotalSeconds));
        }
    }

    /// <summary>True when someone listens to the time from sent to final (worth a read to learn
    /// when the message was sent).</summary>
    public bool MeasuresSentToFinal => sentToFinal.Enabled;

    /// <param name="status">The final status, as the API names it.</param>
    /// <param name="sinceSent">Since the carrier accepted the message, when known.</param>
    public void FinalReceipt(string status, TimeSpan? sinceSent)
    {
        var tag = new KeyValuePair<string, object?>(StatusTag, status);
        receipts.Add(1, tag);
        if (sinceSent is { } elapsed)
        {
            sentToFinal.Record(Math.Max(0, elapsed.TotalSeconds), tag);
        }
    }

    /// <summary>True when someone listens to the webhook delay (worth reading the event's time).</summary>
    public bool MeasuresWebhookDelay => webhookDelay.Enabled;

    /// <param name="outcome">succeeded, retrying or failed.</param>
    /// <param name="sinceEvent">From the event to this successful attempt, when measured.</param>
    public void WebhookAttempt(string outcome, string eventType, TimeSpan? sinceEvent)
    {
        var type = new KeyValuePair<string, object?>(EventTypeTag, eventType);
        webhookDeliveries.Add(1, new KeyValuePair<string, object?>(OutcomeTag, outcome), type);
        if (sinceEvent is { } elapsed)
        {
            webhookDelay.Record(Math.Max(0, elapsed.TotalSeconds), type);
        }
    }

    public void StreamOpened() => activeStreams.Add(1);

    public void StreamClosed() => activeStreams.Add(-1);

    /// <summary>Whether a Redis call's time is wanted (spares the clock reads otherwise).</summary>
    public bool MeasuresRedis => redisDuration.Enabled;

    /// <param name="outcome">ok, or error.</param>
    public void RedisCall(TimeSpan elapsed, string outcome) =>
        redisDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(OutcomeTag, outcome));

    /// <summary>The dispatch queue's gauges, read from <paramref name="snapshot"/> on each collection
    /// (the caller caches what is costly to read).</summary>
    public void ObserveQueue(Func<QueueGaugeReading> snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Meter.CreateObservableGauge(QueueDepth, () => snapshot().Depth, "{message}", "Messages due and waiting for the carrier (queued), across organizations");
        Meter.CreateObservableGauge(QueueOldestAge, () => snapshot().OldestAge.TotalSeconds, "s", "How long the oldest due message has waited");
    }

    /// <summary>The SMPP link's gauges: binds up, and window slots in use and configured.</summary>
    public void ObserveSmpp(Func<int> bound, Func<int> windowUsed, Func<int> windowSize)
    {
        Meter.CreateObservableGauge(SmppBinds, bound, "{bind}", "SMPP binds up");
        Meter.CreateObservableGauge(SmppWindowUsed, windowUsed, "{request}", "SMPP requests awaiting their answer, across binds");
        Meter.CreateObservableGauge(SmppWindowSize, windowSize, "{request}", "SMPP window slots, across binds up");
    }
}

/// <summary>A reading of the dispatch queue for the gauges.</summary>
public readonly record struct QueueGaugeReading(long Depth, TimeSpan OldestAge);
