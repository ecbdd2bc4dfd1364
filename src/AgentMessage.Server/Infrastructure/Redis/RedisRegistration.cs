using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.Redis.Webhooks;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Media;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.Organizations;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Redis.Access;
using AgentMessage.Server.Infrastructure.Redis.Compliance;
using AgentMessage.Server.Infrastructure.Redis.Delivery;
using AgentMessage.Server.Infrastructure.Redis.Idempotency;
using AgentMessage.Server.Infrastructure.Redis.Media;
using AgentMessage.Server.Infrastructure.Redis.Messaging;
using AgentMessage.Server.Infrastructure.Redis.Organizations;
using AgentMessage.Server.Infrastructure.Redis.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentMessage.Server.Infrastructure.Redis;

public static class RedisRegistration
{
    /// <summary>Every store on Redis (docs/API.md section 10, production), with the local caches in front of the hot reads.</summary>
    public static IServiceCollection AddRedisState(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Configuration), "AgentMessage:Redis:Configuration is required for Redis state")
            .Validate(o => o.LocalCacheTtl >= TimeSpan.Zero && o.UnavailableRetryAfter >= TimeSpan.FromSeconds(1), "AgentMessage:Redis: LocalCacheTtl >= 0 and UnavailableRetryAfter >= 1 s")
            .ValidateOnStart();
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var configuration = ConfigurationOptions.Parse(sp.GetRequiredService<IOptions<RedisOptions>>().Value.Configuration!);
            configuration.AbortOnConnectFail = false; // start, and keep reconnecting, while Redis is down
            configuration.BacklogPolicy = BacklogPolicy.FailFast; // while disconnected, fail calls at once: 503, not a hang
            configuration.ReconnectRetryPolicy = new LinearRetry(1000); // retry every second: back within ~1 s of Redis
            configuration.ClientName ??= "agentmessage";
            return ConnectionMultiplexer.Connect(configuration);
        });
        services.AddSingleton<RedisGate>();
        services.AddSingleton<LocalCache>();

        services.AddSingleton<RedisApiKeyStore>();
        services.AddSingleton<IApiKeyStore, CachedApiKeyStore>();
        services.AddSingleton<RedisOrganizationStore>();
        services.AddSingleton<IOrganizationStore, CachedOrganizationStore>();
        services.AddSingleton<RedisNumberRegistry>();
        services.AddSingleton<INumberRegistry, CachedNumberRegistry>();
        services.AddSingleton<RedisConsentRegistry>();
        services.AddSingleton<IConsentRegistry, CachedConsentRegistry>();
        services.AddSingleton<RedisLineTypeRegistry>();
        services.AddSingleton<ILineTypeRegistry, CachedLineTypeRegistry>();

        services.AddSingleton<RedisMessageStore>();
        services.AddSingleton<IMessageStore>(sp => sp.GetRequiredService<RedisMessageStore>());
        services.AddSingleton<RedisRetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisRetentionSweeper>());
        services.AddSingleton<IRateLimiter, RedisRateLimiter>();
        services.AddSingleton<IIdempotencyStore, RedisIdempotencyStore>();
        services.AddSingleton<ISendAdmission, RedisSendAdmission>();
        services.AddSingleton<IInboundMessageStore, RedisInboundMessageStore>();
        services.AddSingleton<IMediaCatalog, RedisMediaCatalog>();
        services.AddSingleton<RedisStatusStore>();
        services.AddSingleton<IMessageStatusStore>(sp => sp.GetRequiredService<RedisStatusStore>());
        services.AddSingleton<IStatusEventLog>(sp => sp.GetRequiredService<RedisStatusStore>());
        services.AddSingleton<IDispatchQueue, RedisDispatchQueue>();
        services.AddSingleton<ICarrierLinkStore, RedisCarrierLinkStore>();
        services.AddSingleton<ISignedRequestLedger, RedisSignedRequestLedger>();
        services.AddSingleton<IKeywordReplyLimiter, RedisKeywordReplyLimiter>();
        services.AddSingleton<IStreamLeaseStore, RedisStreamLeaseStore>();
        services.AddSingleton<IWebhookStore, RedisWebhookStore>();
        services.AddHostedService<RedisEventReader>();
        services.AddHostedService<RedisDeploymentCheck>();

        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return services;
    }
}
