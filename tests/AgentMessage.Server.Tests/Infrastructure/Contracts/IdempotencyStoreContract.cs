using AgentMessage.Core.Idempotency;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IIdempotencyStore"/>: claim, replay, conflict and release (docs/API.md section 6).</summary>
public abstract class IdempotencyStoreContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_claimed_key_is_in_progress_for_the_same_request_and_a_mismatch_for_another()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();

        var began = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        Assert.Equal(scope, began.Claim.Scope);
        Assert.Equal("fp-a", began.Claim.Fingerprint);
        Assert.IsType<IdempotencyStart.InProgress>(await store.BeginAsync(scope, "fp-a", Ct));
        Assert.IsType<IdempotencyStart.Mismatch>(await store.BeginAsync(scope, "fp-b", Ct));
    }

    [Fact]
    public async Task A_committed_key_replays_its_payload_and_refuses_a_different_request()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();
        var began = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        Assert.True(await store.CommitAsync(began.Claim, "{\"id\":\"m1\"}", Ct));

        Assert.Equal("{\"id\":\"m1\"}", Assert.IsType<IdempotencyStart.Replay>(await store.BeginAsync(scope, "fp-a", Ct)).Payload);
        Assert.IsType<IdempotencyStart.Mismatch>(await store.BeginAsync(scope, "fp-b", Ct));
    }

    [Fact]
    public async Task Only_the_owner_of_a_claim_may_commit_it()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();
        var began = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        Assert.False(await store.CommitAsync(began.Claim with { Owner = "someone-else" }, "stale", Ct));

        Assert.IsType<IdempotencyStart.InProgress>(await store.BeginAsync(scope, "fp-a", Ct));
    }

    [Fact]
    public async Task A_released_key_may_be_claimed_again_even_by_a_different_request()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();
        var began = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        await store.ReleaseAsync(began.Claim, Ct);

        var again = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-b", Ct));
        Assert.NotEqual(began.Claim.Owner, again.Claim.Owner);
        Assert.False(await store.CommitAsync(began.Claim, "stale", Ct));
    }

    [Fact]
    public async Task A_release_by_someone_else_leaves_the_claim_in_place()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();
        var began = Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        await store.ReleaseAsync(began.Claim with { Owner = "someone-else" }, Ct);

        Assert.IsType<IdempotencyStart.InProgress>(await store.BeginAsync(scope, "fp-a", Ct));
        Assert.True(await store.CommitAsync(began.Claim, "done", Ct));
    }

    [Fact]
    public async Task Each_organization_and_operation_is_its_own_key_space()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IIdempotencyStore>();
        var scope = Scope();
        Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope, "fp-a", Ct));

        Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope with { Operation = IdempotentOperation.CreateMediaUpload }, "fp-b", Ct));
        Assert.IsType<IdempotencyStart.Began>(await store.BeginAsync(scope with { OrganizationId = ContractData.Organization() }, "fp-b", Ct));
    }

    private static IdempotencyScope Scope() => new(ContractData.Organization(), IdempotentOperation.SendMessage, "key-" + Guid.NewGuid().ToString("N"));
}
