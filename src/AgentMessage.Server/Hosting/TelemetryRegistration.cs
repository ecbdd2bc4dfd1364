using System.Diagnostics;
using AgentMessage.Core.Telemetry;
using AgentMessage.Server.Edge;
using AgentMessage.Server.Infrastructure.Redis;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// Traces, metrics and logs (docs/OBSERVABILITY.md): the domain's spans and instruments
/// (<see cref="AgentMessageTelemetry"/>), ASP.NET Core, Kestrel, HttpClient and Redis; a Prometheus
/// scrape endpoint at <c>/metrics</c>; OTLP for all three signals when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. <c>AgentMessage:Telemetry:Enabled = false</c> leaves
/// all of it out: the domain's instruments then have no listener and cost next to nothing.
/// </summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "agentmessage";

    /// <summary>The meters of the platform exported beside the domain's.</summary>
    private static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Net.Http",
        "System.Runtime",
    ];

    /// <summary>
    /// Per-request instruments of the platform's meters left out unless
    /// <see cref="TelemetryOptions.PlatformRequestCounters"/>: each is two or four tagged measurements
    /// per call, together most of telemetry's cost per gRPC send, and each is implied by
    /// <c>http.server.request.duration</c> (requests in flight on average are the rate of its sum;
    /// route matches, its count by <c>http.route</c>; Kestrel queues a stream only past its
    /// stream limit).
    /// </summary>
    private static readonly string[] PlatformRequestCounters =
    [
        "http.server.active_requests",
        "kestrel.queued_requests",
        "aspnetcore.routing.match_attempts",
    ];

    /// <summary>Requests that are not worth a span: scrapes and probes.</summary>
    private static readonly string[] UntracedPaths = ["/metrics", "/healthz", "/readyz"];

    public static WebApplicationBuilder AddAgentMessageTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.QueueGaugeRefresh >= TimeSpan.Zero, $"{TelemetryOptions.Section}:QueueGaugeRefresh must not be negative")
            .ValidateOnStart();
        services.AddSingleton<AgentMessageTelemetry>();
        if (!IsEnabled(builder.Configuration))
        {
            return builder;
        }

        services.AddHostedService<DispatchQueueGauge>();

        // Every log line carries the trace and span of the work that wrote it; the JSON console
        // format (Logging:Console:FormatterName = json) prints them, with the request id.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);

        var redis = !string.IsNullOrWhiteSpace(builder.Configuration[$"{RedisOptions.Section}:Configuration"]);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        // Spans nobody receives are not worth recording: without an exporter only their ids are
        // kept (a log line still names its trace, a caller's traceparent still flows on).
        var record = builder.Configuration.GetValue<bool?>($"{TelemetryOptions.Section}:RecordTraces") ?? otlp;
        var platform = builder.Configuration.GetValue($"{TelemetryOptions.Section}:PlatformMetrics", true);
        var requestCounters = builder.Configuration.GetValue($"{TelemetryOptions.Section}:PlatformRequestCounters", false);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(AgentMessageTelemetry.Name);
                if (!record)
                {
                    // Ids only: the platform's spans are started (a log line names its trace, a
                    // caller's traceparent flows on to outgoing calls) and nothing more is done.
                    tracing.SetSampler(new IdsOnlySampler()).AddSource("Microsoft.AspNetCore", "System.Net.Http");
                    return;
                }

                tracing.SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        o.Filter = context => !UntracedPaths.Contains(context.Request.Path.Value, StringComparer.Ordinal);
                        o.EnrichWithHttpResponse = ScrubServerSpan;
                    })
                    .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = ScrubClientSpan);
                if (redis)
                {
                    // Command names only: a key can hold a phone number.
                    tracing.AddRedisInstrumentation(o => o.SetVerboseDatabaseStatements = false);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AgentMessageTelemetry.Name);
                if (platform)
                {
                    metrics.AddMeter(PlatformMeters);
                    if (!requestCounters)
                    {
                        // A dropped instrument has no listener left, so the platform skips its
                        // measurements altogether (Instrument.Enabled is false).
                        foreach (var instrument in PlatformRequestCounters)
                        {
                            metrics.AddView(instrument, MetricStreamConfiguration.Drop);
                        }
                    }
                }

                // Each scrape is collected fresh: a scraper comes every few seconds at most, and
                // a cached answer would hide what just happened.
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            });
        if (otlp)
        {
            telemetry.WithLogging(configureBuilder: null, configureOptions: o => o.IncludeScopes = true).UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>The scrape endpoint, on the REST listener, without authentication or envelope.</summary>
    public static WebApplication MapAgentMessageTelemetry(this WebApplication app)
    {
        if (IsEnabled(app.Configuration))
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        return app;
    }

    private static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue($"{TelemetryOptions.Section}:Enabled", true);

    /// <summary>
    /// The request's path as the route template names it (<c>/v1/consents/{number}</c>), or with
    /// its digit runs masked when no route matched, as the request log has it; and no query string.
    /// A path or a query can carry a phone number.
    /// </summary>
    private static void ScrubServerSpan(Activity activity, HttpResponse response)
    {
        activity.SetTag("url.path", RequestEdgeMiddleware.LoggedPath(response.HttpContext));
        activity.SetTag("url.query", null);
    }

    /// <summary>An outgoing call's URL without its query (a presigned URL's signature, a phone number).</summary>
    private static void ScrubClientSpan(Activity activity, HttpRequestMessage request)
    {
        if (request.RequestUri is { IsAbsoluteUri: true } uri)
        {
            activity.SetTag("url.full", uri.GetLeftPart(UriPartial.Path));
        }
    }

    /// <summary>Records no span but keeps every one's ids. Not <see cref="AlwaysOffSampler"/>, with
    /// which the SDK starts no root span at all, and a log line would have no trace to name.</summary>
    private sealed class IdsOnlySampler : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => new(SamplingDecision.Drop);
    }
}
