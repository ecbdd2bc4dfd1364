using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.Server.Edge.OpenApi;
using AgentMessage.Server.Edge.Rest;
using AgentMessage.Server.Infrastructure.LocalMedia;
using AgentMessage.Server.Infrastructure.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentMessage.Server.Hosting;

/// <summary>Builds the server; Program.cs and the tests start it the same way.</summary>
public static class AgentMessageApp
{
    /// <param name="args">Command-line configuration, as for any .NET host.</param>
    /// <param name="overrideServices">Replaces registrations after the features are added (tests).</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            // HTTP/2 keepalive pings: a connection idle this long is pinged, and closed when no
            // frame answers within the timeout, so idle gRPC streams survive proxies that cut
            // silent connections and dead peers are noticed. Kestrel:Limits (these included) can be
            // set in configuration; the host binds only Kestrel:Endpoints by itself.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            context.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits);
        });
        builder.Services
            .AddAgentMessageApi()
            .AddAgentMessageDomain()
            .AddOpenApiDocument();
        var shared = !string.IsNullOrWhiteSpace(builder.Configuration[$"{RedisOptions.Section}:Configuration"]);
        if (shared)
        {
            builder.Services.AddRedisState();
        }
        else
        {
            builder.Services.AddInMemoryState();
        }

        builder.Services.AddMediaStore(builder.Configuration);

        // Without shared state nothing else could create an organization: the seed is the only way in.
        builder.Services.AddDevSeed(forced: !shared);
        builder.AddAgentMessageTelemetry();
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseMiddleware<RequestEdgeMiddleware>();
        app.UseRouting();
        app.UseMiddleware<RequestMessageGuard>();
        app.UseMiddleware<RestFacadeMiddleware>();

        app.MapGrpcService<MessagingGrpcService>();
        app.MapGrpcService<ConsentGrpcService>();
        app.MapGrpcService<LookupGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        app.MapGrpcService<WebhookGrpcService>();
        app.MapCarrierReceipts();
        app.MapCarrierInbound();
        if (app.Services.GetService<LocalMediaStore>() is not null)
        {
            app.MapLocalMediaEndpoints();
        }

        app.MapOpenApiDocument();
        app.MapAgentMessageTelemetry();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        app.MapGet("/healthz", (HttpContext context) => RestEnvelope.WriteSuccessAsync(context, 200, w => StatusBody(w, "ok")));
        app.MapGet("/readyz", async (HttpContext context, HealthCheckService health) =>
        {
            var report = await health.CheckHealthAsync(r => r.Tags.Contains(HealthTags.Ready), context.RequestAborted);
            if (report.Status == HealthStatus.Healthy)
            {
                await RestEnvelope.WriteSuccessAsync(context, 200, w => StatusBody(w, "ready"));
                return;
            }

            var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy)
                .ToDictionary(e => e.Key, e => e.Value.Description ?? e.Value.Status.ToString());
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.Unavailable, "dependencies unavailable", failing);
        });
        return app;
    }

    private static void StatusBody(System.Text.Json.Utf8JsonWriter writer, string status)
    {
        writer.WriteStartObject();
        writer.WriteString("status", status);
        writer.WriteEndObject();
    }
}
