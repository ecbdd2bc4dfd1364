using AgentMessage.Core.Delivery;
using AgentMessage.Core.Idempotency;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Core.Refusals;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="ISendAdmission"/> and <see cref="IMessageStore"/>: what an admitted send leaves behind, and listings.</summary>
public abstract class MessageStoreContract
{
    private static readonly RateLimitPolicy OneAtATime = new(1, 1.0 / 86_400);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admitted_send_is_stored_queued_and_logged()
    {
        await using var stores = await CreateStoresAsync();
        var message = ContractData.Message(ContractData.Organization(), stores.Time.GetUtcNow(), tag: "welcome", priority: MessagePriority.High);

        var admission = await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, StoreHarness.Generous, message, null), Ct);

        Assert.True(admission.RateLimit.Allowed);
        Assert.False(admission.LeaseLost);
        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal(MessageJson.Serialize(message), MessageJson.Serialize(stored!));
        var queued = await stores.Get<IDispatchQueue>().TakeAsync(message.OrganizationId, 10, TimeSpan.FromSeconds(30), Ct);
        var item = Assert.Single(queued.Messages);
        Assert.Equal((message.OrganizationId, message.Id, MessagePriority.High), (item.OrganizationId, item.Id, item.Priority));
        var logged = await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 10, Ct);
        Assert.Equal((message.Id, DeliveryStatus.Queued, "welcome"), (logged[0].MessageId, logged[0].Status, logged[0].Tag));
        Assert.Equal((message.Id, DeliveryStatus.Sending, "welcome"), (logged[1].MessageId, logged[1].Status, logged[1].Tag));
    }

    [Fact]
    public async Task A_rate_limited_send_is_refused_and_leaves_nothing()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var first = ContractData.Message(org, stores.Time.GetUtcNow());
        var second = ContractData.Message(org, stores.Time.GetUtcNow());
        var admission = stores.Get<ISendAdmission>();

        Assert.True((await admission.AdmitAsync(new AdmissionRequest(org, OneAtATime, first, null), Ct)).RateLimit.Allowed);
        var refused = await admission.AdmitAsync(new AdmissionRequest(org, OneAtATime, second, null), Ct);

        Assert.False(refused.RateLimit.Allowed);
        Assert.Equal(0, refused.RateLimit.Remaining);
        Assert.True(refused.RateLimit.RetryAfter > TimeSpan.Zero);
        Assert.Null(await stores.Get<IMessageStore>().GetAsync(org, second.Id, Ct));
        Assert.Equal([first.Id], (await stores.Get<IDispatchQueue>().TakeAsync(org, 10, TimeSpan.FromSeconds(30), Ct)).Messages.Select(m => m.Id));
        Assert.Equal(2, (await stores.Get<IStatusEventLog>().ReadAsync(org, null, 10, Ct)).Count);
    }

    [Fact]
    public async Task A_send_refused_by_a_business_rule_still_takes_its_token()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var admission = stores.Get<ISendAdmission>();

        var checkedOnly = await admission.AdmitAsync(new AdmissionRequest(org, OneAtATime, null, null), Ct);
        var next = await admission.AdmitAsync(new AdmissionRequest(org, OneAtATime, ContractData.Message(org, stores.Time.GetUtcNow()), null), Ct);

        Assert.True(checkedOnly.RateLimit.Allowed);
        Assert.False(next.RateLimit.Allowed);
        Assert.Empty((await stores.Get<IMessageStore>().ListAsync(org, new MessageQuery(null, null, 10, null), Ct)).Messages);
    }

    [Fact]
    public async Task An_admitted_send_commits_its_idempotency_claim_with_the_message()
    {
        await using var stores = await CreateStoresAsync();
        var message = ContractData.Message(ContractData.Organization(), stores.Time.GetUtcNow());
        var scope = new IdempotencyScope(message.OrganizationId, IdempotentOperation.SendMessage, "key-1");
        var idempotency = stores.Get<IIdempotencyStore>();
        var began = Assert.IsType<IdempotencyStart.Began>(await idempotency.BeginAsync(scope, "fp", Ct));

        await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, StoreHarness.Generous, message, began.Claim), Ct);

        var replay = Assert.IsType<IdempotencyStart.Replay>(await idempotency.BeginAsync(scope, "fp", Ct));
        Assert.Equal(MessageJson.Serialize(message), replay.Payload);
    }

    [Fact]
    public async Task A_send_whose_claim_was_lost_does_nothing()
    {
        await using var stores = await CreateStoresAsync();
        var message = ContractData.Message(ContractData.Organization(), stores.Time.GetUtcNow());
        var scope = new IdempotencyScope(message.OrganizationId, IdempotentOperation.SendMessage, "key-2");
        var began = Assert.IsType<IdempotencyStart.Began>(await stores.Get<IIdempotencyStore>().BeginAsync(scope, "fp", Ct));
        var stale = began.Claim with { Owner = "someone-else" };

        var admission = await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, OneAtATime, message, stale), Ct);

        Assert.True(admission.LeaseLost);
        Assert.Null(await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct));
        Assert.True((await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, OneAtATime, null, null), Ct)).RateLimit.Allowed);
    }

    /// <summary>On Redis, sends that arrive while a script run of their organization is at Redis go
    /// together in the next run: each must still come out as if it had run alone.</summary>
    [Fact]
    public async Task Concurrent_sends_of_one_organization_each_get_their_own_outcome()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var admission = stores.Get<ISendAdmission>();
        var idempotency = stores.Get<IIdempotencyStore>();
        var policy = new RateLimitPolicy(40, 1.0 / 86_400);
        var keptScope = new IdempotencyScope(org, IdempotentOperation.SendMessage, "kept");
        var kept = Assert.IsType<IdempotencyStart.Began>(await idempotency.BeginAsync(keptScope, "fp", Ct)).Claim;
        var lostScope = new IdempotencyScope(org, IdempotentOperation.SendMessage, "lost");
        var lost = Assert.IsType<IdempotencyStart.Began>(await idempotency.BeginAsync(lostScope, "fp", Ct)).Claim with { Owner = "someone-else" };
        var messages = Enumerable.Range(0, 60)
            .Select(i => i == 7 ? null : ContractData.Message(org, stores.Time.GetUtcNow(), tag: i % 2 == 0 ? "even" : null))
            .ToList();
        var requests = messages.Select((m, i) => new AdmissionRequest(org, policy, m, i == 3 ? kept : i == 5 ? lost : null)).ToList();

        var outcomes = await Task.WhenAll(requests.Select(r => admission.AdmitAsync(r, Ct).AsTask()));

        // The lost claim takes no token; the other 59 share the 40 of the bucket.
        Assert.Equal([5], outcomes.Select((o, i) => (o, i)).Where(p => p.o.LeaseLost).Select(p => p.i));
        var allowed = outcomes.Select((o, i) => (o, i)).Where(p => !p.o.LeaseLost && p.o.RateLimit.Allowed).Select(p => p.i).ToList();
        Assert.Equal(40, allowed.Count);
        Assert.Equal(Enumerable.Range(0, 40), allowed.Select(i => outcomes[i].RateLimit.Remaining).Order());
        Assert.All(outcomes.Where(o => !o.LeaseLost && !o.RateLimit.Allowed), o => Assert.Equal(0, o.RateLimit.Remaining));

        var stored = allowed.Where(i => messages[i] is not null && i != 5).Select(i => messages[i]!).ToList();
        var listed = await stores.ListAllAsync(org, new MessageQuery(null, null, 100, null));
        Assert.Equal(stored.Select(m => m.Id).Order(), listed.SelectMany(page => page).Order());
        var tagged = await stores.ListAllAsync(org, new MessageQuery("even", null, 100, null));
        Assert.Equal(stored.Where(m => m.Tag == "even").Select(m => m.Id).Order(), tagged.SelectMany(page => page).Order());
        var events = await stores.Get<IStatusEventLog>().ReadAsync(org, null, 100, Ct);
        Assert.Equal(stored.Select(m => m.Id).Order(), events.Select(e => e.MessageId).Order());
        Assert.All(events, e => Assert.Equal(DeliveryStatus.Queued, e.Status));
        var queued = await stores.Get<IDispatchQueue>().TakeAsync(org, 100, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(stored.Select(m => m.Id).Order(), queued.Messages.Select(m => m.Id).Order());

        var keptAgain = await idempotency.BeginAsync(keptScope, "fp", Ct);
        if (allowed.Contains(3))
        {
            Assert.Equal(MessageJson.Serialize(messages[3]!), Assert.IsType<IdempotencyStart.Replay>(keptAgain).Payload);
        }
        else
        {
            Assert.IsType<IdempotencyStart.Began>(keptAgain);
        }
    }

    [Fact]
    public async Task Messages_are_read_only_within_their_organization()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores, ContractData.Organization());

        Assert.Null(await stores.Get<IMessageStore>().GetAsync(ContractData.Organization(), message.Id, Ct));
        Assert.Null(await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, "no-such-message", Ct));
        Assert.Empty((await stores.Get<IMessageStore>().ListAsync(ContractData.Organization(), new MessageQuery(null, null, 10, null), Ct)).Messages);
    }

    [Fact]
    public async Task A_listing_pages_newest_first_until_the_last_page_has_no_token()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var sent = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            sent.Add((await AdmitAsync(stores, org)).Id);
        }

        var pages = await stores.ListAllAsync(org, new MessageQuery(null, null, 2, null));

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(sent), pages.SelectMany(p => p));
    }

    [Fact]
    public async Task A_listing_filters_by_tag_and_by_status()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var tagged = new List<Message>();
        var untagged = new List<Message>();
        for (var i = 0; i < 6; i++)
        {
            (i % 2 == 0 ? tagged : untagged).Add(await AdmitAsync(stores, org, i % 2 == 0 ? "promo" : null));
        }

        await stores.Get<IMessageStatusStore>().TransitionAsync(org, tagged[0].Id, DeliveryStatus.Delivered, null, Ct);
        await stores.Get<IMessageStatusStore>().TransitionAsync(org, untagged[1].Id, DeliveryStatus.Delivered, null, Ct);

        var byTag = await stores.ListAllAsync(org, new MessageQuery("promo", null, 2, null));
        var byStatus = await stores.ListAllAsync(org, new MessageQuery(null, DeliveryStatus.Delivered, 1, null));
        var both = await stores.ListAllAsync(org, new MessageQuery("promo", DeliveryStatus.Queued, 10, null));

        Assert.Equal(tagged.Select(m => m.Id).Reverse(), byTag.SelectMany(p => p));
        Assert.Equal([untagged[1].Id, tagged[0].Id], byStatus.SelectMany(p => p));
        Assert.Equal([tagged[2].Id, tagged[1].Id], both.SelectMany(p => p));
        Assert.Empty((await stores.Get<IMessageStore>().ListAsync(org, new MessageQuery("no-such-tag", null, 10, null), Ct)).Messages);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("djE6LTE")] // "v1:-1"
    [InlineData("djI6MTA")] // "v2:10"
    public async Task A_page_token_not_issued_by_the_store_is_a_validation_error(string token)
    {
        await using var stores = await CreateStoresAsync();

        var refusal = await Assert.ThrowsAsync<RefusalException>(async () =>
            await stores.Get<IMessageStore>().ListAsync(ContractData.Organization(), new MessageQuery(null, null, 10, token), Ct));

        Assert.Equal(RefusalException.Validation("page_token", "x").Kind, refusal.Kind);
    }

    private static async Task<Message> AdmitAsync(StoreHarness stores, string org, string? tag = null)
    {
        var message = ContractData.Message(org, stores.Time.GetUtcNow(), tag);
        Assert.True((await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, message, null), Ct)).RateLimit.Allowed);
        return message;
    }
}
