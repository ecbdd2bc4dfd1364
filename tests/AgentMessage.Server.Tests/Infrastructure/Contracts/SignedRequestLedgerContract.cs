using AgentMessage.Core.Access;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// <see cref="ISignedRequestLedger"/>: a signature is remembered once, for its keep, and then
/// forgotten. In memory the keep runs on the fake clock; Redis expires on its own clock, so there
/// the test checks the key's time to live and waits once for a short keep to pass.
/// </summary>
public abstract class SignedRequestLedgerContract
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(10);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_unknown_signature_is_not_remembered()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();

        Assert.False(await ledger.ContainsAsync(Signature(), Ct));
    }

    [Fact]
    public async Task A_signature_is_added_once_and_then_remembered()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();
        var signature = Signature();

        Assert.True(await ledger.AddAsync(signature, Keep, Ct));

        Assert.True(await ledger.ContainsAsync(signature, Ct));
        Assert.False(await ledger.AddAsync(signature, Keep, Ct));
        Assert.False(await ledger.ContainsAsync(Signature(), Ct));
    }

    [Fact]
    public async Task Of_concurrent_additions_of_one_signature_exactly_one_is_first()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();
        var signature = Signature();

        var added = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => ledger.AddAsync(signature, Keep, Ct).AsTask()));

        Assert.Single(added, first => first);
    }

    [Fact]
    public async Task A_signature_is_forgotten_after_its_keep_and_may_be_added_again()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();
        var signature = Signature();
        var keep = stores.IsRedis ? TimeSpan.FromSeconds(1) : Keep;

        Assert.True(await ledger.AddAsync(signature, keep, Ct));

        if (stores.IsRedis)
        {
            var ttl = Assert.Single((await stores.RedisKeysAsync()).Values);
            Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), keep);
            Assert.True(await Eventually.HoldsAsync(async () => !await ledger.ContainsAsync(signature, Ct), TimeSpan.FromSeconds(15), Ct));
        }
        else
        {
            stores.Time.Advance(keep - TimeSpan.FromMilliseconds(1));
            Assert.True(await ledger.ContainsAsync(signature, Ct));
            stores.Time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.False(await ledger.ContainsAsync(signature, Ct));
        }

        Assert.True(await ledger.AddAsync(signature, Keep, Ct));
    }

    [Fact]
    public async Task A_second_addition_keeps_the_first_keep()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();
        var signature = Signature();

        await ledger.AddAsync(signature, Keep, Ct);
        await ledger.AddAsync(signature, Keep * 10, Ct);

        if (stores.IsRedis)
        {
            Assert.InRange(Assert.Single((await stores.RedisKeysAsync()).Values) ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), Keep);
        }
        else
        {
            stores.Time.Advance(Keep);
            Assert.False(await ledger.ContainsAsync(signature, Ct));
        }
    }

    [Fact]
    public async Task A_keep_that_is_not_positive_is_refused()
    {
        await using var stores = await CreateStoresAsync();
        var ledger = stores.Get<ISignedRequestLedger>();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await ledger.AddAsync(Signature(), TimeSpan.Zero, Ct));
        Assert.False(await ledger.ContainsAsync(Signature(), Ct));
    }

    private static string Signature() => "receipt:" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
}
