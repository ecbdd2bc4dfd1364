using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Telemetry;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Tests.Edge.Grpc;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using static AgentMessage.Server.Tests.Support.DeliverySupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Telemetry;

/// <summary>
/// Traces and metrics as an operator sees them: the Prometheus scrape at /metrics on the REST port,
/// and spans as an in-process collector (the in-memory exporter) receives them. A server's meter
/// provider listens to every meter of its name in the process, and meters of a stopped server end
/// the instruments it shares with them, so these tests run alone (<see cref="TelemetryCollection"/>),
/// one server at a time; counts are still compared as "at least", and spans picked out by trace id.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests(RedisFixture redis, WebhookReceiverFixture receiver) : IClassFixture<RedisFixture>, IClassFixture<WebhookReceiverFixture>
{
    /// <summary>A number with no consent recorded: its send is refused with CONSENT_REQUIRED.</summary>
    private const string Unconsented = "+15557654321";

    /// <summary>The platform's per-request counters, left out unless asked for (docs/OBSERVABILITY.md).</summary>
    private static readonly string[] RequestCounters = ["http_server_active_requests", "kestrel_queued_requests", "aspnetcore_routing_match_attempts"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Metrics_AfterRestAndGrpcSends_CountAcceptedAndRefusedSends_WithoutKeyOrEnvelope()
    {
        await using var server = await TestServer.StartAsync();
        var before = await ScrapeAsync(server);

        await server.SendAsync(OrdinaryRecipient);
        await server.Messaging.SendMessageAsync(Requests.SpecExample(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var (refused, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"{{DevSeed.SenderNumber}}","to":"{{Unconsented}}","text":"no consent"}"""));
        Assert.Equal(453, (int)refused.StatusCode);

        var response = await server.Rest.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var after = await response.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("# ", after, StringComparison.Ordinal);
        Assert.True(Value(after, "agentmessage_sends_accepted_total", "agentmessage_channel=\"sms\"") >= Value(before, "agentmessage_sends_accepted_total", "agentmessage_channel=\"sms\"") + 2,
            string.Join("\n", after.Split('\n').Where(l => l.StartsWith("agentmessage_sends", StringComparison.Ordinal))) + "\n--- before:\n" + string.Join("\n", before.Split('\n').Where(l => l.StartsWith("agentmessage_sends", StringComparison.Ordinal))));
        Assert.True(Value(after, "agentmessage_sends_refused_total", "error_code=\"CONSENT_REQUIRED\"") >= 1);
        Assert.Contains("http_server_request_duration_seconds", after, StringComparison.Ordinal);
        Assert.Contains("kestrel_", after, StringComparison.Ordinal);
        Assert.DoesNotContain("5557654321", after, StringComparison.Ordinal);
        foreach (var counter in RequestCounters)
        {
            Assert.DoesNotContain(counter, after, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithPlatformRequestCounters_TheRequestsInFlightQueuedAndMatched_AreExportedToo()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["AgentMessage:Telemetry:PlatformRequestCounters"] = "true" });

        await server.SendAsync(OrdinaryRecipient);
        await server.Messaging.SendMessageAsync(Requests.SpecExample(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var metrics = await ScrapeAsync(server);

        foreach (var counter in RequestCounters)
        {
            Assert.Contains(counter, metrics, StringComparison.Ordinal);
        }

        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutPlatformMetrics_TheDomainsInstrumentsStay_AndTheRequestMetersGo()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["AgentMessage:Telemetry:PlatformMetrics"] = "false" });

        await server.SendAsync(OrdinaryRecipient);
        var metrics = await ScrapeAsync(server);

        Assert.True(Value(metrics, "agentmessage_sends_accepted_total", "agentmessage_channel=\"sms\"") >= 1, metrics);
        Assert.DoesNotContain("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("kestrel_", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterADeliveredMessage_ShowTheSubmissionTheReceiptAndTheirTimes()
    {
        await using var server = await TestServer.StartAsync(Settings());

        var id = await server.SendAsync(OrdinaryRecipient);
        await server.WaitForStatusAsync(id, "delivered");

        var metrics = await ScrapeAsync(server);
        Assert.True(Value(metrics, "agentmessage_dispatch_submissions_total", "agentmessage_outcome=\"sent\"") >= 1);
        Assert.True(Value(metrics, "agentmessage_delivery_receipts_total", "agentmessage_status=\"delivered\"") >= 1);
        Assert.True(Value(metrics, "agentmessage_dispatch_queued_to_sent_seconds_count", "") >= 1);
        Assert.True(Value(metrics, "agentmessage_delivery_sent_to_final_seconds_count", "agentmessage_status=\"delivered\"") >= 1);
        Assert.Contains("agentmessage_dispatch_in_flight", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterWebhookAttempts_CountThemByOutcome_AndTheDelayOfTheDelivered()
    {
        await using var server = await TestServer.StartAsync(WebhookSupport.Settings());
        var org = await server.NewOrganizationAsync();
        var name = "metrics" + Guid.NewGuid().ToString("N")[..8];
        var (id, secret) = await server.CreateWebhookAsync(org.Key, receiver.Receiver.UrlFor(name), "message.status");
        await receiver.Receiver.ConfigureAsync(name, [secret], [Testing.ReceiverAnswer.Of(500)], ct: Ct);

        await server.SendTextAsync(org);
        await receiver.Receiver.WaitForAsync(name, all => all.Count(r => r.AnsweredStatus == 204) >= 4, Patience, Ct);

        var metrics = await ScrapeAsync(server);
        Assert.True(Value(metrics, "agentmessage_webhooks_deliveries_total", "agentmessage_outcome=\"succeeded\"") >= 4, metrics);
        Assert.True(Value(metrics, "agentmessage_webhooks_deliveries_total", "agentmessage_outcome=\"retrying\"") >= 1);
        Assert.True(Value(metrics, "agentmessage_webhooks_delivery_delay_seconds_count", "agentmessage_event_type=\"message.status\"") >= 4);
        Assert.DoesNotContain(org.Recipient[1..], metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(id, metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OnRedis_ShowTheQueueDepthAndAgeAndRedisCallTimes_AfterRestAndGrpcSends()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Redis:Configuration"] = redis.Server.Configuration,
            ["AgentMessage:Dev:Seed"] = "true",
            ["AgentMessage:Telemetry:QueueGaugeRefresh"] = "00:00:00",
        });

        await server.SendAsync(OrdinaryRecipient);
        await server.SendAsync(OrdinaryRecipient);
        await server.Messaging.SendMessageAsync(Requests.SpecExample(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        // The gauges read the queue in the background: a scrape shows the previous reading.
        string metrics = string.Empty;
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            metrics = await ScrapeAsync(server);
            return MaxValue(metrics, "agentmessage_dispatch_queue_depth") >= 3;
        }, Patience, Ct), metrics);
        Assert.True(MaxValue(metrics, "agentmessage_dispatch_queue_oldest_age_seconds") >= 0);
        Assert.True(Value(metrics, "agentmessage_redis_duration_seconds_count", "agentmessage_outcome=\"ok\"") >= 3,
            string.Join("\n", metrics.Split('\n').Where(l => l.StartsWith("agentmessage_", StringComparison.Ordinal) && !l.Contains("_bucket", StringComparison.Ordinal))));
        Assert.True(Value(metrics, "agentmessage_sends_accepted_total", "agentmessage_channel=\"sms\"") >= 3);
    }

    [Fact]
    public async Task Trace_OfARestSendOnRedis_HonoursTraceparent_HasServerCoreAndRedisSpans_AndItsDispatchLinksToIt_WithNoPhoneNumber()
    {
        var spans = new SpanList();
        await using var server = await TestServer.StartAsync(
            Settings(("AgentMessage:Redis:Configuration", redis.Server.Configuration), ("AgentMessage:Dev:Seed", "true"), ("AgentMessage:Telemetry:RecordTraces", "true")),
            services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        await SeedSimulatorConsentAsync(server);
        var caller = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();

        var request = Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"{{DevSeed.SenderNumber}}","to":"{{OrdinaryRecipient}}","text":"traced"}""");
        request.Headers.Add("traceparent", $"00-{caller}-{callerSpan}-01");
        using var client = new HttpClient(UntracedHandler()) { BaseAddress = server.RestUrl };
        var (response, body) = await client.CallAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)body["data"]!["id"]!;
        await server.WaitForStatusAsync(id, "delivered");

        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            spans.Any(s => s.TraceId == caller && s.Kind == ActivityKind.Server)
            && spans.Any(s => s.TraceId == caller && s.DisplayName == "SendMessage")
            && spans.Any(s => s.TraceId == caller && (string?)s.GetTagItem("db.system") == "redis")
            && spans.Any(s => s.DisplayName == "Dispatch" && s.Links.Any(l => l.Context.TraceId == caller))), Patience, Ct),
            string.Join("\n", spans.Select(s => $"{s.TraceId} {s.Kind} {s.DisplayName}")));

        var serverSpan = spans.Single(s => s.TraceId == caller && s.Kind == ActivityKind.Server);
        Assert.Equal(callerSpan, serverSpan.ParentSpanId);
        Assert.Equal("/v1/messages", serverSpan.GetTagItem("url.path"));
        var send = spans.Single(s => s.TraceId == caller && s.DisplayName == "SendMessage");
        Assert.Equal(id, send.GetTagItem(AgentMessageTelemetry.MessageTag));
        var dispatch = spans.First(s => s.DisplayName == "Dispatch" && s.Links.Any(l => l.Context.TraceId == caller));
        Assert.NotEqual(caller, dispatch.TraceId);
        Assert.Equal(send.SpanId, dispatch.Links.Single().Context.SpanId);
        Assert.Contains(spans, s => s.TraceId == dispatch.TraceId && s.DisplayName == "CarrierSimulator submit");
        AssertNoPhoneNumber(spans);
    }

    [Fact]
    public async Task Trace_OfAGrpcSendAndAConsentRead_HonoursTraceparent_AndTemplatesThePhoneNumberOutOfThePath()
    {
        var spans = new SpanList();
        await using var server = await TestServer.StartAsync(
            new Dictionary<string, string> { ["AgentMessage:Telemetry:RecordTraces"] = "true" },
            services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var caller = ActivityTraceId.CreateRandom();
        var headers = TestServer.Bearer(TestServer.DevKey);
        headers.Add("traceparent", $"00-{caller}-{ActivitySpanId.CreateRandom()}-01");

        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(server.GrpcUrl, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = UntracedHandler() });
        var sent = await new AgentMessage.V1.MessagingService.MessagingServiceClient(channel).SendMessageAsync(Requests.SpecExample(), headers, cancellationToken: Ct);
        var consent = await server.Rest.CallAsync(Get($"/v1/consents/{Uri.EscapeDataString(OrdinaryRecipient)}?to={Uri.EscapeDataString(OrdinaryRecipient)}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.OK, consent.Response.StatusCode);

        Assert.True(await Eventually.HoldsAsync(() => Task.FromResult(
            spans.Any(s => s.TraceId == caller && s.DisplayName == "SendMessage")
            && spans.Any(s => s.Kind == ActivityKind.Server && ((string?)s.GetTagItem("url.path"))?.StartsWith("/v1/consents/", StringComparison.Ordinal) == true)), Patience, Ct),
            string.Join("\n", spans.Select(s => $"{s.TraceId} {s.Kind} {s.DisplayName} {s.GetTagItem("url.path")}")));
        var send = spans.Single(s => s.TraceId == caller && s.DisplayName == "SendMessage");
        var grpcServer = spans.Single(s => s.TraceId == caller && s.Kind == ActivityKind.Server);
        Assert.Equal(grpcServer.SpanId, send.ParentSpanId);
        Assert.Equal(sent.Message.Id, send.GetTagItem(AgentMessageTelemetry.MessageTag));
        var stored = await server.Services.GetRequiredService<IMessageStore>().GetAsync(DevSeed.OrganizationId, sent.Message.Id, Ct);
        Assert.StartsWith($"00-{caller}-{send.SpanId}-", stored!.TraceParent, StringComparison.Ordinal);
        AssertNoPhoneNumber(spans);
    }

    [Fact]
    public async Task Metrics_WithTelemetryOff_IsAnUnknownPathInTheEnvelope()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["AgentMessage:Telemetry:Enabled"] = "false" });

        var (response, body) = await server.Rest.CallAsync(Get("/metrics", null));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NOT_FOUND", (string)body["error"]!["code"]!);
        Assert.Equal(202, (int)(await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey,
            $$"""{"from":"{{DevSeed.SenderNumber}}","to":"{{OrdinaryRecipient}}","text":"untraced"}"""))).Response.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_WithTelemetryOn_IsStillAnsweredInTheEnvelope()
    {
        await using var server = await TestServer.StartAsync();

        var (response, body) = await server.Rest.CallAsync(Get("/metrics/extra", null));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NOT_FOUND", (string)body["error"]!["code"]!);
    }

    /// <summary>No tag, event or name of any span the server made holds a phone number's digits
    /// (the test's own HTTP calls, root client spans, name the numbers they ask about).</summary>
    private static void AssertNoPhoneNumber(IEnumerable<Activity> spans)
    {
        string[] numbers = [DevSeed.SenderNumber, OrdinaryRecipient, Unconsented];
        foreach (var span in spans.Where(s => !(s.Kind == ActivityKind.Client && s.ParentSpanId == default)))
        {
            var texts = span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}")))
                .Append(span.DisplayName);
            foreach (var text in texts)
            {
                foreach (var number in numbers)
                {
                    Assert.False(text.Contains(number[2..], StringComparison.Ordinal), $"span {span.DisplayName} carries a phone number: {text}");
                }
            }
        }
    }

    /// <summary>A client that sends the traceparent it is given: in this process the server's
    /// HttpClient instrumentation listens, and a client would otherwise put its own span's there.</summary>
    private static SocketsHttpHandler UntracedHandler() => new() { ActivityHeadersPropagator = null };

    private static async Task<string> ScrapeAsync(TestServer server)
    {
        var response = await server.Rest.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>The sum of the samples of <paramref name="metric"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string exposition, string metric, string label) =>
        Samples(exposition, metric).Where(s => s.Labels.Contains(label, StringComparison.Ordinal)).Sum(s => s.Value);

    private static double MaxValue(string exposition, string metric) =>
        Samples(exposition, metric).Select(s => s.Value).DefaultIfEmpty(double.NaN).Max();

    private static IEnumerable<(string Labels, double Value)> Samples(string exposition, string metric)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            var labelsEnd = line.LastIndexOf('}');
            var labels = labelsEnd < 0 ? string.Empty : line[..(labelsEnd + 1)];
            var rest = line[(labelsEnd < 0 ? metric.Length : labelsEnd + 1)..].Trim().Split(' ');
            yield return (labels, double.Parse(rest[0], CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>The telemetry tests: not run in parallel with any other test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}

/// <summary>What the in-memory exporter collects, safe to read while it adds.</summary>
internal sealed class SpanList : ICollection<Activity>
{
    private readonly List<Activity> spans = [];
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return spans.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public void Add(Activity item)
    {
        lock (gate)
        {
            spans.Add(item);
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            spans.Clear();
        }
    }

    public bool Contains(Activity item) => this.AsEnumerable().Contains(item);

    public void CopyTo(Activity[] array, int arrayIndex) => this.ToList().CopyTo(array, arrayIndex);

    public bool Remove(Activity item)
    {
        lock (gate)
        {
            return spans.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator()
    {
        lock (gate)
        {
            return spans.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
