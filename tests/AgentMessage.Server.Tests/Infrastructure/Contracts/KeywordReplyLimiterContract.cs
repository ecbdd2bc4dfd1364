using AgentMessage.Core.Compliance;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// <see cref="IKeywordReplyLimiter"/>: one reply per organization, person and keyword action within
/// the window, then another. In memory the window runs on the fake clock; Redis expires on its own
/// clock, so there the test checks the key's time to live and waits once for a short window to pass.
/// </summary>
public abstract class KeywordReplyLimiterContract
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reply_is_taken_once_per_person_and_action_within_the_window()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IKeywordReplyLimiter>();

        Assert.True(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, Window, Ct));
        Assert.False(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, Window, Ct));

        Assert.True(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.Help, Window, Ct));
        Assert.True(await limiter.TryTakeAsync("org_a", "+15550002222", KeywordAction.OptOut, Window, Ct));
        Assert.True(await limiter.TryTakeAsync("org_b", "+15550001111", KeywordAction.OptOut, Window, Ct));
    }

    [Fact]
    public async Task Of_concurrent_takes_for_one_person_and_action_exactly_one_wins()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IKeywordReplyLimiter>();

        var taken = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptIn, Window, Ct).AsTask()));

        Assert.Single(taken, won => won);
    }

    [Fact]
    public async Task After_the_window_a_reply_may_be_taken_again()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IKeywordReplyLimiter>();
        var window = stores.IsRedis ? TimeSpan.FromSeconds(1) : Window;

        Assert.True(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, window, Ct));

        if (stores.IsRedis)
        {
            var ttl = Assert.Single((await stores.RedisKeysAsync()).Values);
            Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), window);
            Assert.True(await Eventually.HoldsAsync(async () => await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, window, Ct), TimeSpan.FromSeconds(15), Ct));
        }
        else
        {
            stores.Time.Advance(window - TimeSpan.FromMilliseconds(1));
            Assert.False(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, window, Ct));
            stores.Time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, window, Ct));
        }
    }

    [Fact]
    public async Task A_window_that_is_not_positive_is_refused()
    {
        await using var stores = await CreateStoresAsync();
        var limiter = stores.Get<IKeywordReplyLimiter>();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, TimeSpan.Zero, Ct));
        Assert.True(await limiter.TryTakeAsync("org_a", "+15550001111", KeywordAction.OptOut, Window, Ct));
    }
}
