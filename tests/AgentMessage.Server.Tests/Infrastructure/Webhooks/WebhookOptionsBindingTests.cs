using AgentMessage.Core.Webhooks;
using AgentMessage.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Infrastructure.Webhooks;

/// <summary>AgentMessage:Webhooks as the server binds it: a configured retry schedule replaces the
/// shipped one entirely (the binder would append to a pre-filled list), and bad values stop start-up.</summary>
public sealed class WebhookOptionsBindingTests
{
    [Fact]
    public void WithoutConfiguration_TheShippedScheduleOfSevenWaitsIsInForce()
    {
        var options = Bind(new Dictionary<string, string?>());

        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10)],
            options.EffectiveRetrySchedule);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Timeout);
        Assert.Equal(TimeSpan.FromDays(5), options.DisableAfter);
        Assert.True(options.RequireHttps);
        Assert.False(options.AllowPrivateNetworks);
        Assert.Equal(10, options.MaxPerOrganization);
    }

    [Fact]
    public void AConfiguredSchedule_ReplacesTheShippedOneEntirely()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["AgentMessage:Webhooks:RetrySchedule:0"] = "00:00:01",
            ["AgentMessage:Webhooks:RetrySchedule:1"] = "00:01:00",
        });

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)], options.EffectiveRetrySchedule);
    }

    [Theory]
    [InlineData("AgentMessage:Webhooks:RetrySchedule:0", "-00:00:01")]
    [InlineData("AgentMessage:Webhooks:Timeout", "00:00:00")]
    [InlineData("AgentMessage:Webhooks:MaxPerOrganization", "0")]
    public void ABadValue_FailsValidation_NamingTheSection(string key, string value)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(WebhookOptions.Section, failure.Message, StringComparison.Ordinal);
    }

    private static WebhookOptions Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddWebhooks();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<WebhookOptions>>().Value;
    }
}
