using AgentMessage.Core.Delivery;
using AgentMessage.Core.Media;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using AgentMessage.Server.Infrastructure.Smpp;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// The delivery pipeline on top of whichever state is registered (in-memory or Redis: the
/// <see cref="IDispatchQueue"/> and <see cref="IMessageStatusStore"/> come from there): its
/// options, the receipt port every carrier link reports through (<see cref="ICarrierReceiptSink"/>),
/// the carrier gateway (the built-in simulator, or the SMPP link with
/// <c>AgentMessage:Carrier:Gateway</c> = <c>smpp</c>), and the <see cref="Dispatcher"/>. The HTTP
/// receipt endpoint is mapped by <see cref="CarrierReceiptEndpoint.MapCarrierReceipts"/>.
/// </summary>
public static class DeliveryRegistration
{
    public static IServiceCollection AddDeliveryPipeline(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section)
            .Validate(o => o.Workers is null or >= 0, $"{DeliveryOptions.Section}:Workers must not be negative (0 turns dispatch off; prefer {DeliveryOptions.Section}:Dispatch = false)")
            .Validate(o => o.MaxInFlight is >= 1 and <= 100_000, $"{DeliveryOptions.Section}:MaxInFlight must be 1 to 100000")
            .Validate(o => o.DefaultPacePerSecond > 0, $"{DeliveryOptions.Section}:DefaultPacePerSecond must be positive")
            .Validate(o => o.NumberPace.Values.All(p => p > 0), $"{DeliveryOptions.Section}:NumberPace values must be positive")
            .Validate(o => o.ReclaimAfter > TimeSpan.Zero, $"{DeliveryOptions.Section}:ReclaimAfter must be positive")
            .Validate(o => o.EventLogLength >= 1, $"{DeliveryOptions.Section}:EventLogLength must be at least 1")
            .ValidateOnStart();
        services.AddOptions<CarrierReceiptOptions>().BindConfiguration(CarrierReceiptOptions.Section)
            .Validate(
                o => string.IsNullOrEmpty(o.ReceiptSecret) || o.ReceiptSecret.Length >= CarrierReceiptOptions.MinimumSecretLength,
                $"{CarrierReceiptOptions.Section}:ReceiptSecret must be at least {CarrierReceiptOptions.MinimumSecretLength} characters")
            .Validate(o => o.ReplayWindow > TimeSpan.Zero, $"{CarrierReceiptOptions.Section}:ReplayWindow must be positive")
            .ValidateOnStart();
        services.AddOptions<CarrierSimulatorOptions>().BindConfiguration(CarrierSimulatorOptions.Section)
            .Validate(o => o.SubmitLatency >= TimeSpan.Zero && o.ReceiptLatency >= TimeSpan.Zero, $"{CarrierSimulatorOptions.Section}: latencies must not be negative")
            .Validate(o => string.IsNullOrWhiteSpace(o.ReceiptUrl) || Uri.TryCreate(o.ReceiptUrl, UriKind.Absolute, out _), $"{CarrierSimulatorOptions.Section}:ReceiptUrl must be an absolute URL")
            .Validate(o => o.RememberedReferences >= 1, $"{CarrierSimulatorOptions.Section}:RememberedReferences must be at least 1")
            .ValidateOnStart();

        services.AddOptions<CarrierGatewayOptions>().BindConfiguration(CarrierGatewayOptions.Section)
            .Validate(
                o => string.Equals(o.Gateway, CarrierGatewayOptions.Simulator, StringComparison.OrdinalIgnoreCase) || o.IsSmpp,
                $"{CarrierGatewayOptions.Section}:Gateway must be {CarrierGatewayOptions.Simulator} or {CarrierGatewayOptions.Smpp}")
            .ValidateOnStart();
        services.AddOptions<SmppOptions>().BindConfiguration(SmppOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmppOptions>, SmppOptionsValidation>();

        // SMPP carries no media: with the SMPP link, MMS is refused at admission (503 MMS_DISABLED),
        // never accepted and then lost.
        services.AddOptions<MediaOptions>().PostConfigure<IOptions<CarrierGatewayOptions>>((media, gateway) =>
        {
            if (gateway.Value.IsSmpp)
            {
                media.MmsEnabled = false;
            }
        });

        services.TryAddSingleton<PaceTable>();
        services.AddSingleton<CarrierReceiptSigner>();
        services.AddSingleton<ICarrierReceiptSink, CarrierReceipts>();
        services.AddHttpClient(CarrierSimulator.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10)).RemoveAllLoggers();
        services.AddSingleton<CarrierSimulator>();
        services.AddSingleton<SmppInbound>();
        services.AddSingleton<ISmppInboundHandler>(sp => sp.GetRequiredService<SmppInbound>());
        services.AddSingleton<SmppLink>();
        services.AddSingleton<SmppCarrierGateway>();
        services.AddSingleton<ICarrierGateway>(sp => sp.GetRequiredService<IOptions<CarrierGatewayOptions>>().Value.IsSmpp
            ? sp.GetRequiredService<SmppCarrierGateway>()
            : sp.GetRequiredService<CarrierSimulator>());
        services.AddHealthChecks().AddCheck<SmppLink>("smpp", tags: [HealthTags.Ready]);

        // Hosted services stop in reverse order: the link is registered before the dispatcher so
        // it stops after it, and submissions still draining get their answers.
        services.AddHostedService(sp => sp.GetRequiredService<SmppLink>());
        services.AddSingleton<Dispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        return services;
    }
}

/// <summary>Checks the SMPP settings at start, only when the SMPP link is the gateway.</summary>
internal sealed class SmppOptionsValidation(IOptions<CarrierGatewayOptions> gateway) : IValidateOptions<SmppOptions>
{
    public ValidateOptionsResult Validate(string? name, SmppOptions options)
    {
        if (!gateway.Value.IsSmpp)
        {
            return ValidateOptionsResult.Success;
        }

        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
