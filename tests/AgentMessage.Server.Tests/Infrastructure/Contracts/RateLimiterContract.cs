using AgentMessage.Core.RateLimiting;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IRateLimiter"/>: a token bucket per organization and operation.</summary>
public abstract class RateLimiterContract
{
    /// <summary>A bucket that does not refill within a test (one token a day).</summary>
    private static readonly RateLimitPolicy ThreeThenWait = new(3, 1.0 / 86_400);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_burst_is_admitted_then_calls_are_refused()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IRateLimiter>();
        var org = ContractData.Organization();

        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await limiter.TryAcquireAsync(org, RateLimitedOperation.Send, ThreeThenWait, Ct));
        }

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Allowed));
        Assert.Equal([2, 1, 0, 0], decisions.Select(d => d.Remaining));
        Assert.All(decisions, d => Assert.Equal(3, d.Limit));
        Assert.Equal(TimeSpan.Zero, decisions[0].RetryAfter);
        Assert.True(decisions[3].RetryAfter > TimeSpan.FromHours(23));
    }

    [Fact]
    public async Task Each_organization_and_operation_has_its_own_bucket()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IRateLimiter>();
        var org = ContractData.Organization();
        var one = new RateLimitPolicy(1, 1.0 / 86_400);
        Assert.True((await limiter.TryAcquireAsync(org, RateLimitedOperation.Send, one, Ct)).Allowed);
        Assert.False((await limiter.TryAcquireAsync(org, RateLimitedOperation.Send, one, Ct)).Allowed);

        Assert.True((await limiter.TryAcquireAsync(org, RateLimitedOperation.MediaUpload, one, Ct)).Allowed);
        Assert.True((await limiter.TryAcquireAsync(ContractData.Organization(), RateLimitedOperation.Send, one, Ct)).Allowed);
    }
}
