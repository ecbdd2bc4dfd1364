using AgentMessage.Core.Delivery;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentMessage.Server.Hosting;

/// <summary>
/// The delivery pipeline on top of whichever state is registered (in-memory or Redis: the
/// <see cref="IDispatchQueue"/> and <see cref="IMessageStatusStore"/> come from there): its
/// options, the receipt port every carrier link reports through (<see cref="ICarrierReceiptSink"/>),
/// the carrier gateway (the built-in simulator), and the <see cref="Dispatcher"/>. The HTTP receipt endpoint is mapped by <see cref="CarrierReceiptEndpoint.MapCarrierReceipts"/>.
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

        services.TryAddSingleton<PaceTable>();
        services.AddSingleton<CarrierReceiptSigner>();
        services.AddSingleton<ICarrierReceiptSink, CarrierReceipts>();
        services.AddHttpClient(CarrierSimulator.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10)).RemoveAllLoggers();
        services.AddSingleton<CarrierSimulator>();
        services.AddSingleton<ICarrierGateway>(sp => sp.GetRequiredService<CarrierSimulator>());
        services.AddSingleton<Dispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        return services;
    }
}
