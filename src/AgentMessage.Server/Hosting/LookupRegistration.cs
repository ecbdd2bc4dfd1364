using AgentMessage.Core.Compliance;
using AgentMessage.Server.Infrastructure.Lookups;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Hosting;

public static class LookupRegistration
{
    /// <summary>The lookup providers in the order they are asked, the consent and keyword rules.</summary>
    public static IServiceCollection AddCompliance(this IServiceCollection services)
    {
        services.AddOptions<LookupOptions>().BindConfiguration(LookupOptions.Section);
        services.AddSingleton<ILineTypeProvider>(sp => sp.GetRequiredService<IOptions<LookupOptions>>().Value.SimulatorTable
            ? new SimulatorLineTypeProvider()
            : NoProvider.Instance);
        services.AddSingleton<ILineTypeProvider, LibPhoneNumberLineTypeProvider>();
        services.AddSingleton<LineTypeLookups>();
        services.AddSingleton<ConsentManager>();
        services.AddSingleton<InboundKeywordHandler>();
        return services;
    }

    /// <summary>Stands in for the simulator's table when it is switched off.</summary>
    private sealed class NoProvider : ILineTypeProvider
    {
        public static readonly NoProvider Instance = new();

        public string Name => "none";

        public ValueTask<LineType?> ClassifyAsync(string number, CancellationToken cancellationToken) => ValueTask.FromResult<LineType?>(null);
    }
}
