using AgentMessage.Core.Delivery;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="ISendPacer"/>: one token bucket of one token per sender number.</summary>
public abstract class SendPacerContract
{
    /// <summary>One message per 100 seconds: no test waits that long, on the fake clock or Redis's.</summary>
    private static readonly Dictionary<string, string?> SlowPace = new() { [$"{DeliveryOptions.Section}:DefaultPacePerSecond"] = "0.01" };

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_number_passes_then_waits_for_its_pace()
    {
        await using var stores = await CreateStoresAsync(SlowPace);
        var pacer = stores.Get<ISendPacer>();
        var org = ContractData.Organization();
        var number = ContractData.Number();

        Assert.Equal(TimeSpan.Zero, await pacer.TryPassAsync(org, number, Ct));
        var wait = await pacer.TryPassAsync(org, number, Ct);

        Assert.InRange(wait, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(100));
    }

    [Fact]
    public async Task Each_number_has_its_own_pace()
    {
        await using var stores = await CreateStoresAsync(SlowPace);
        var pacer = stores.Get<ISendPacer>();
        var org = ContractData.Organization();
        var number = ContractData.Number();
        Assert.Equal(TimeSpan.Zero, await pacer.TryPassAsync(org, number, Ct));

        Assert.Equal(TimeSpan.Zero, await pacer.TryPassAsync(org, ContractData.Number(), Ct));
        Assert.Equal(TimeSpan.Zero, await pacer.TryPassAsync(ContractData.Organization(), number, Ct));
    }
}
