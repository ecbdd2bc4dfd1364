using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Infrastructure.Webhooks;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// Webhooks (docs/API.md section 13) on top of whichever state is registered (the
/// <see cref="IWebhookStore"/> comes from there): options, the destination policy every URL and
/// every connection goes through, the HTTP transport, the payload writer, the domain service and
/// the <see cref="WebhookDeliverer"/>.
/// </summary>
public static class WebhookRegistration
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section)
            .Validate(o => !o.Problems().Any(), $"{WebhookOptions.Section}: Timeout 10 ms to 5 min; RetrySchedule entries and DisableAfter positive; MaxPerOrganization, MaxInFlightPerEndpoint, MaxInFlight, AttemptLogLength at least 1; SecretOverlap not negative")
            .ValidateOnStart();
        services.AddSingleton<WebhookSignals>();
        services.AddSingleton<WebhookDestinationPolicy>();
        services.AddSingleton<IWebhookDestinationCheck, WebhookDestinationCheck>();
        services.AddSingleton<IWebhookTransport, WebhookHttpTransport>();
        services.AddSingleton<IWebhookPayloadWriter, WebhookPayloadWriter>();
        services.AddSingleton<WebhookManager>();
        services.AddSingleton<WebhookDeliverer>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliverer>());
        return services;
    }
}
