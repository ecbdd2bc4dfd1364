using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.InMemory.Webhooks;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Media;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.Server.Infrastructure.InMemory.Access;
using AgentMessage.Server.Infrastructure.InMemory.Compliance;
using AgentMessage.Server.Infrastructure.InMemory.Delivery;
using AgentMessage.Server.Infrastructure.InMemory.Idempotency;
using AgentMessage.Server.Infrastructure.InMemory.Media;
using AgentMessage.Server.Infrastructure.InMemory.Messaging;
using AgentMessage.Server.Infrastructure.InMemory.Organizations;
using AgentMessage.Server.Infrastructure.InMemory.RateLimiting;
using AgentMessage.Server.Infrastructure.LocalMedia;
using AgentMessage.Server.Infrastructure.S3;
using Google.Protobuf.Reflection;
using Google.Rpc;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentMessage.Server.Hosting;

/// <summary>The features of the server, each registered by one method.</summary>
public static class ServiceRegistration
{
    /// <summary>gRPC with reflection, health and JSON transcoding, behind the API interceptor.</summary>
    public static IServiceCollection AddAgentMessageApi(this IServiceCollection services)
    {
        services.AddGrpc(options =>
            {
                options.Interceptors.Add<ApiCallInterceptor>();
                // A guard against huge frames of other services (health, reflection) only; the
                // contract's 64 KiB is enforced by RequestMessageGuard and ApiCallInterceptor, with
                // the contract's error, after authentication.
                options.MaxReceiveMessageSize = ApiCallInterceptor.MaxFrameBytes;
                options.EnableDetailedErrors = false;

                // No catch-all route for unknown methods: it made the router capture route values
                // on every call (about 350 bytes), and its answer carried no ErrorInfo. The REST
                // facade answers a gRPC call that matched no method (GrpcRefusals.AnswerUnknownMethod).
                options.IgnoreUnknownServices = true;
            })
            .AddJsonTranscoding(options =>
            {
                // The REST facade renders errors itself, but transcoding still serializes the
                // status first and fails on detail types it does not know.
                options.TypeRegistry = TypeRegistry.FromMessages(ErrorInfo.Descriptor, BadRequest.Descriptor, RetryInfo.Descriptor);
            });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks().AddCheck("ready", () => HealthCheckResult.Healthy(), tags: [HealthTags.Ready]);
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section)
            .Validate(o => o.Token is null || o.Token.Length >= 32, "AgentMessage:Admin:Token must be at least 32 characters")
            .ValidateOnStart();
        services.AddSingleton<AdminAuthenticator>();
        return services;
    }

    /// <summary>Messaging rules and, until a shared store is configured, the in-memory state.</summary>
    public static IServiceCollection AddAgentMessageDomain(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => RateLimitPolicy.Problem(o.Send.Burst, o.Send.PerSecond) is null, "AgentMessage:RateLimits:Send needs Burst >= 1 and PerSecond > 0")
            .Validate(o => RateLimitPolicy.Problem(o.MediaUpload.Burst, o.MediaUpload.PerSecond) is null, "AgentMessage:RateLimits:MediaUpload needs Burst >= 1 and PerSecond > 0")
            .ValidateOnStart();
        services.AddOptions<MessagingOptions>().BindConfiguration(MessagingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section)
            .Validate(o => o.Retention > TimeSpan.Zero && o.Lease > TimeSpan.Zero, "AgentMessage:Idempotency needs a positive Retention and Lease")
            .ValidateOnStart();
        services.AddOptions<MediaOptions>().BindConfiguration(MediaOptions.Section)
            .Validate(o => o.Store is "local" or "s3", "AgentMessage:Media:Store must be local or s3")
            .Validate(o => o.Store != "s3" || !string.IsNullOrWhiteSpace(o.S3.Bucket), "AgentMessage:Media:S3:Bucket is required with the s3 store")
            .Validate(o => o.Store != "s3" || (o.S3.AccessKey is null) == (o.S3.SecretKey is null), "AgentMessage:Media:S3: set both AccessKey and SecretKey, or neither")
            .Validate(o => o.CarrierUrlValidity >= TimeSpan.FromHours(24) && o.CarrierUrlValidity <= TimeSpan.FromDays(7), "AgentMessage:Media:CarrierUrlValidity must be 24 h to 7 days")
            .ValidateOnStart();
        services.AddSingleton<MessageService>();
        services.AddSingleton<InboundService>();
        services.AddSingleton<KeywordReplier>();
        services.AddSingleton<MediaService>();
        services.AddCompliance();
        services.AddSingleton<OperatorService>();
        services.AddDeliveryPipeline();
        services.AddWebhooks();
        services.AddSingleton<StatusEventHub>();
        services.AddSingleton<StatusStreamService>();
        services.AddOpenStreams();
        return services;
    }

    /// <summary>
    /// What bounds and ends status streams: their caps and heartbeat (AgentMessage:Streams), the
    /// registry of open streams with its background upkeep, and the shutdown drain that fails
    /// readiness and ends the streams when the server stops (AgentMessage:Shutdown).
    /// </summary>
    public static IServiceCollection AddOpenStreams(this IServiceCollection services)
    {
        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section)
            .Validate(o => !o.Problems().Any(), $"{StreamOptions.Section}: MaxPerKey and MaxPerOrganization must be at least 1, HeartbeatInterval and CredentialCheckInterval at least 10 ms")
            .ValidateOnStart();
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section)
            .Validate(o => o.DrainDelay >= TimeSpan.Zero, $"{ShutdownOptions.Section}:DrainDelay must not be negative")
            .ValidateOnStart();
        services.AddSingleton<OpenStreams>();
        services.AddHostedService<StreamSupervisor>();
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        services.AddHealthChecks().AddCheck<ShutdownDrain>("shutdown", tags: [HealthTags.Ready]);
        return services;
    }

    /// <summary>The embedded default: every store in this process (docs/API.md section 10).</summary>
    public static IServiceCollection AddInMemoryState(this IServiceCollection services)
    {
        services.AddSingleton<IOrganizationStore, InMemoryOrganizationStore>();
        services.AddSingleton<IApiKeyStore, InMemoryApiKeyStore>();
        services.AddSingleton<INumberRegistry, InMemoryNumberRegistry>();
        services.AddSingleton<IConsentRegistry, InMemoryConsentRegistry>();
        services.AddSingleton<ILineTypeRegistry, InMemoryLineTypeRegistry>();
        services.AddSingleton<InMemoryMessageStore>();
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<InMemoryMessageStore>());
        services.AddSingleton<InMemoryRateLimiter>();
        services.AddSingleton<IRateLimiter>(sp => sp.GetRequiredService<InMemoryRateLimiter>());
        services.AddSingleton<InMemoryIdempotencyStore>();
        services.AddSingleton<IIdempotencyStore>(sp => sp.GetRequiredService<InMemoryIdempotencyStore>());
        services.AddSingleton<ISendAdmission, InMemorySendAdmission>();
        services.AddSingleton<IInboundMessageStore, InMemoryInboundMessageStore>();
        services.AddSingleton<InMemoryDispatchQueue>();
        services.AddSingleton<IDispatchQueue>(sp => sp.GetRequiredService<InMemoryDispatchQueue>());
        services.AddSingleton<InMemoryStatusStore>();
        services.AddSingleton<IMessageStatusStore>(sp => sp.GetRequiredService<InMemoryStatusStore>());
        services.AddSingleton<IStatusEventLog>(sp => sp.GetRequiredService<InMemoryStatusStore>());
        services.AddSingleton<IMediaCatalog, InMemoryMediaCatalog>();
        services.AddSingleton<ICarrierLinkStore, InMemoryCarrierLinkStore>();
        services.AddSingleton<ISignedRequestLedger, InMemorySignedRequestLedger>();
        services.AddSingleton<IKeywordReplyLimiter, InMemoryKeywordReplyLimiter>();
        services.AddSingleton<IStreamLeaseStore, InMemoryStreamLeaseStore>();
        services.AddSingleton<IWebhookStore, InMemoryWebhookStore>();
        return services;
    }

    /// <summary>The media store AgentMessage:Media:Store names.</summary>
    public static IServiceCollection AddMediaStore(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.Equals(configuration[$"{MediaOptions.Section}:Store"], "s3", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IMediaStore, S3MediaStore>();
        }
        else
        {
            services.AddSingleton<LocalMediaStore>();
            services.AddSingleton<IMediaStore>(sp => sp.GetRequiredService<LocalMediaStore>());
        }

        return services;
    }

    /// <summary>The development organization (AgentMessage:Dev:Seed), forced on for in-memory state.</summary>
    public static IServiceCollection AddDevSeed(this IServiceCollection services, bool forced)
    {
        services.AddOptions<DevOptions>().BindConfiguration(DevOptions.Section).PostConfigure(o => o.Seed |= forced);
        services.AddHostedService<DevSeed>();
        return services;
    }
}
