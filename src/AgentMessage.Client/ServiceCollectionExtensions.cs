using AgentMessage.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AgentMessage clients in a service collection, as singletons (each holds one HTTP/2 channel).</summary>
public static class AgentMessageServiceCollectionExtensions
{
    /// <summary>Registers <see cref="AgentMessageClient"/> configured by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the endpoint, the API key and, optionally, the retry policy.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAgentMessageClient(this IServiceCollection services, Action<AgentMessageClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AgentMessageClientOptions>().Configure(configure);
        return AddClient(services);
    }

    /// <summary>
    /// Registers <see cref="AgentMessageClient"/> bound to a configuration section, e.g.
    /// <c>configuration.GetSection("AgentMessageClient")</c> with <c>Endpoint</c>, <c>ApiKey</c> and
    /// <c>Retry:MaxAttempts</c> (environment variables <c>AgentMessageClient__ApiKey</c>, ...).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section holding the client's settings.</param>
    /// <param name="configure">Optional settings applied after the section (an HTTP handler, a clock).</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAgentMessageClient(this IServiceCollection services, IConfiguration section, Action<AgentMessageClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var builder = services.AddOptions<AgentMessageClientOptions>().Bind(section);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return AddClient(services);
    }

    /// <summary>Registers <see cref="AgentMessageAdminClient"/> configured by <paramref name="configure"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the endpoint, the operator token and, optionally, the retry policy.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAgentMessageAdminClient(this IServiceCollection services, Action<AgentMessageAdminClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AgentMessageAdminClientOptions>().Configure(configure);
        return AddAdminClient(services);
    }

    /// <summary>Registers <see cref="AgentMessageAdminClient"/> bound to a configuration section (<c>Endpoint</c>, <c>AdminToken</c>, <c>Retry:*</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section holding the client's settings.</param>
    /// <param name="configure">Optional settings applied after the section.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAgentMessageAdminClient(this IServiceCollection services, IConfiguration section, Action<AgentMessageAdminClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var builder = services.AddOptions<AgentMessageAdminClientOptions>().Bind(section);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return AddAdminClient(services);
    }

    private static IServiceCollection AddClient(IServiceCollection services)
    {
        services.TryAddSingleton(provider => new AgentMessageClient(WithClock(provider, provider.GetRequiredService<IOptions<AgentMessageClientOptions>>().Value)));
        return services;
    }

    private static IServiceCollection AddAdminClient(IServiceCollection services)
    {
        services.TryAddSingleton(provider => new AgentMessageAdminClient(WithClock(provider, provider.GetRequiredService<IOptions<AgentMessageAdminClientOptions>>().Value)));
        return services;
    }

    /// <summary>The application's <see cref="TimeProvider"/>, when it registers one and the options name none.</summary>
    private static T WithClock<T>(IServiceProvider provider, T options)
        where T : AgentMessageConnectionOptions
    {
        options.TimeProvider ??= provider.GetService<TimeProvider>();
        return options;
    }
}
