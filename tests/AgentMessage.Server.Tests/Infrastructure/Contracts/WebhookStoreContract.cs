using System.Text;
using AgentMessage.Core.Webhooks;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IWebhookStore"/>: endpoints per organization, their pending deliveries
/// (one per endpoint and event, leased when taken, capped per endpoint), settling attempts
/// (retry, give up, 410, failing long enough) and the attempt log.</summary>
public abstract class WebhookStoreContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan DisableAfter = TimeSpan.FromDays(5);

    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Endpoints_are_kept_per_organization_in_the_order_created_up_to_the_limit()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();

        // Created in one millisecond, the second with the id that sorts first: the order is still theirs.
        var first = Endpoint(stores, "wh_b");
        var second = Endpoint(stores, "wh_a", WebhookEventTypes.MessageReceived);

        Assert.True(await store.CreateAsync(org, first, 3, Ct));
        Assert.True(await store.CreateAsync(org, second, 3, Ct));
        Assert.True(await store.DeleteAsync(org, "wh_b", Ct));
        Assert.True(await store.CreateAsync(org, first, 3, Ct));
        Assert.True(await store.CreateAsync(org, Endpoint(stores, "wh_0"), 3, Ct));
        Assert.False(await store.CreateAsync(org, Endpoint(stores, "wh_c"), 3, Ct));

        Assert.Equal(["wh_a", "wh_b", "wh_0"], (await store.ListAsync(org, Ct)).Select(e => e.Id));
        Assert.Equivalent(second, await store.GetAsync(org, "wh_a", Ct), strict: true);
        Assert.Null(await store.GetAsync(ContractData.Organization(), "wh_b", Ct));
        Assert.Empty(await store.ListAsync(ContractData.Organization(), Ct));
        Assert.Contains(org, await store.OrganizationsAsync(Ct));
    }

    [Fact]
    public async Task An_update_replaces_the_endpoint_and_a_delete_removes_it_with_its_deliveries()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        var endpoint = Endpoint(stores, "wh_a");
        await store.CreateAsync(org, endpoint, 10, Ct);
        var changed = endpoint with { Url = "https://hooks.example/other", Description = "changed", PreviousSecret = "whsec_b2xk", PreviousSecretExpiresAt = stores.Time.GetUtcNow().AddDays(1) };

        Assert.True(await store.UpdateAsync(org, changed, Ct));
        Assert.Equivalent(changed, await store.GetAsync(org, endpoint.Id, Ct), strict: true);
        Assert.False(await store.UpdateAsync(org, endpoint with { Id = "wh_none" }, Ct));

        await store.EnqueueAsync(org, endpoint.Id, Event("evt_1"), Ct);
        Assert.True(await store.DeleteAsync(org, endpoint.Id, Ct));
        Assert.False(await store.DeleteAsync(org, endpoint.Id, Ct));
        Assert.Null(await store.GetAsync(org, endpoint.Id, Ct));
        var claim = await store.ClaimAsync(org, 10, 10, Lease, Ct);
        Assert.Empty(claim.Jobs);
        Assert.Null(claim.NextDueAt);
    }

    [Fact]
    public async Task A_fanned_out_event_is_queued_once_for_each_enabled_endpoint_subscribed_to_its_type()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        await store.CreateAsync(org, Endpoint(stores, "wh_status"), 10, Ct);
        await store.CreateAsync(org, Endpoint(stores, "wh_received", WebhookEventTypes.MessageReceived), 10, Ct);
        await store.CreateAsync(org, Endpoint(stores, "wh_off") with { DisabledReason = WebhookDisabledReasons.Manual }, 10, Ct);
        WebhookEvent[] events = [Event("evt_1"), Event("evt_2", WebhookEventTypes.MessageReceived)];

        await store.FanOutAsync(org, [], events, Ct);
        await store.FanOutAsync(org, [], events, Ct);

        var claim = await store.ClaimAsync(org, 10, 10, Lease, Ct);
        Assert.Equal(
            ["wh_received|evt_2", "wh_status|evt_1"],
            claim.Jobs.Select(j => j.JobId).Order(StringComparer.Ordinal));
        var job = claim.Jobs.Single(j => j.EndpointId == "wh_status");
        Assert.Equal(("evt_1", WebhookEventTypes.MessageStatus, 1, "{\"id\":\"evt_1\"}"), (job.EventId, job.Type, job.Attempt, Encoding.UTF8.GetString(job.Body.Span)));
    }

    [Fact]
    public async Task Claims_respect_the_batch_and_the_per_endpoint_cap_and_lapsed_leases_come_back()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        await store.CreateAsync(org, Endpoint(stores, "wh_a"), 10, Ct);
        for (var i = 0; i < 5; i++)
        {
            await store.EnqueueAsync(org, "wh_a", Event($"evt_{i}"), Ct);
        }

        var first = await store.ClaimAsync(org, 2, 3, Lease, Ct);
        var second = await store.ClaimAsync(org, 10, 3, Lease, Ct);
        var third = await store.ClaimAsync(org, 10, 3, Lease, Ct);

        Assert.Equal(2, first.Jobs.Count);
        Assert.Single(second.Jobs);
        Assert.Empty(third.Jobs);

        // At its cap the endpoint has nothing due before a lease runs out (or an attempt settles).
        Assert.Equal(stores.Time.GetUtcNow() + Lease, third.NextDueAt);

        stores.Time.Advance(Lease);
        var again = await store.ClaimAsync(org, 10, 10, Lease, Ct);
        Assert.Equal(5, again.Jobs.Count);
        Assert.Equal(stores.Time.GetUtcNow() + Lease, again.NextDueAt);
    }

    [Fact]
    public async Task A_retry_comes_back_at_its_time_with_the_next_attempt_number_and_a_give_up_drops_it()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        await store.CreateAsync(org, Endpoint(stores, "wh_a"), 10, Ct);
        await store.EnqueueAsync(org, "wh_a", Event("evt_1"), Ct);
        var job = (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single();
        var retryAt = stores.Time.GetUtcNow().AddSeconds(5);

        await store.SettleAsync(org, [Settled(stores, job, WebhookDisposition.Retry, 500, retryAt)], DisableAfter, 100, Ct);

        var early = await store.ClaimAsync(org, 10, 10, Lease, Ct);
        Assert.Empty(early.Jobs);
        Assert.Equal(retryAt, early.NextDueAt);
        stores.Time.Advance(TimeSpan.FromSeconds(5));
        var retried = (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single();
        Assert.Equal((job.JobId, 2), (retried.JobId, retried.Attempt));
        Assert.Equal(job.Body.ToArray(), retried.Body.ToArray());

        await store.SettleAsync(org, [Settled(stores, retried, WebhookDisposition.GiveUp, 500, null)], DisableAfter, 100, Ct);
        stores.Time.Advance(Lease);
        Assert.Empty((await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs);
        Assert.True((await store.GetAsync(org, "wh_a", Ct))!.Enabled);
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_and_keeps_the_delivery_until_it_is_enabled_again()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        var endpoint = Endpoint(stores, "wh_a");
        await store.CreateAsync(org, endpoint, 10, Ct);
        await store.EnqueueAsync(org, "wh_a", Event("evt_1"), Ct);
        var job = (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single();

        await store.SettleAsync(org, [Settled(stores, job, WebhookDisposition.Gone, 410, null)], DisableAfter, 100, Ct);

        var disabled = await store.GetAsync(org, "wh_a", Ct);
        Assert.Equal(WebhookDisabledReasons.Gone, disabled!.DisabledReason);
        Assert.Empty((await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs);
        await store.FanOutAsync(org, [], [Event("evt_2")], Ct);

        stores.Time.Advance(TimeSpan.FromHours(1));
        Assert.True(await store.UpdateAsync(org, disabled with { DisabledReason = null }, Ct));
        var pending = (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single();
        Assert.Equal(("evt_1", 2), (pending.EventId, pending.Attempt));
    }

    [Fact]
    public async Task An_endpoint_failing_for_DisableAfter_is_disabled_and_a_success_before_resets_the_count()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        await store.CreateAsync(org, Endpoint(stores, "wh_a"), 10, Ct);
        var disableAfter = TimeSpan.FromHours(1);

        async Task<WebhookJob> TakeAsync(string eventId)
        {
            await store.EnqueueAsync(org, "wh_a", Event(eventId), Ct);
            return (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single(j => j.EventId == eventId);
        }

        await store.SettleAsync(org, [Settled(stores, await TakeAsync("evt_1"), WebhookDisposition.GiveUp, 500, null)], disableAfter, 100, Ct);
        stores.Time.Advance(TimeSpan.FromMinutes(50));
        await store.SettleAsync(org, [Settled(stores, await TakeAsync("evt_2"), WebhookDisposition.Delivered, 200, null)], disableAfter, 100, Ct);
        stores.Time.Advance(TimeSpan.FromMinutes(20));
        await store.SettleAsync(org, [Settled(stores, await TakeAsync("evt_3"), WebhookDisposition.GiveUp, 500, null)], disableAfter, 100, Ct);
        Assert.True((await store.GetAsync(org, "wh_a", Ct))!.Enabled);

        stores.Time.Advance(TimeSpan.FromMinutes(61));
        await store.SettleAsync(org, [Settled(stores, await TakeAsync("evt_4"), WebhookDisposition.GiveUp, 500, null)], disableAfter, 100, Ct);

        Assert.Equal(WebhookDisabledReasons.Failing, (await store.GetAsync(org, "wh_a", Ct))!.DisabledReason);
    }

    [Fact]
    public async Task Attempts_are_listed_newest_first_a_page_at_a_time_and_trimmed_to_the_log_length()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<IWebhookStore>();
        var org = ContractData.Organization();
        await store.CreateAsync(org, Endpoint(stores, "wh_a"), 10, Ct);
        for (var i = 1; i <= 5; i++)
        {
            await store.EnqueueAsync(org, "wh_a", Event($"evt_{i}"), Ct);
            var job = (await store.ClaimAsync(org, 10, 10, Lease, Ct)).Jobs.Single();
            await store.SettleAsync(org, [Settled(stores, job, WebhookDisposition.Delivered, 200 + i, null)], DisableAfter, 4, Ct);
            stores.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var (first, next) = await store.AttemptsAsync(org, "wh_a", null, 3, Ct);
        var (second, last) = await store.AttemptsAsync(org, "wh_a", next, 3, Ct);

        Assert.Equal(["evt_5", "evt_4", "evt_3"], first.Select(a => a.EventId));
        Assert.Equal(205, first[0].ResponseStatus);
        Assert.Equal(WebhookOutcome.Succeeded, first[0].Outcome);
        Assert.NotNull(next);
        Assert.Equal(["evt_2"], second.Select(a => a.EventId));
        Assert.Null(last);
        Assert.Empty((await store.AttemptsAsync(org, "wh_other", null, 3, Ct)).Attempts);
    }

    private static WebhookEndpoint Endpoint(StoreHarness stores, string id, params string[] events)
    {
        var now = stores.Time.GetUtcNow();
        return new WebhookEndpoint(
            id, $"https://hooks.example/{id}", events.Length == 0 ? [WebhookEventTypes.MessageStatus] : events, "", null,
            "whsec_c2VjcmV0", null, null, now, now);
    }

    private static WebhookEvent Event(string eventId, string type = WebhookEventTypes.MessageStatus) =>
        new(eventId, type, Encoding.UTF8.GetBytes($"{{\"id\":\"{eventId}\"}}"));

    private static WebhookSettlement Settled(StoreHarness stores, WebhookJob job, WebhookDisposition disposition, int status, DateTimeOffset? retryAt)
    {
        var outcome = disposition switch
        {
            WebhookDisposition.Delivered => WebhookOutcome.Succeeded,
            WebhookDisposition.Retry => WebhookOutcome.Retrying,
            _ => WebhookOutcome.Failed,
        };
        var attempt = new WebhookAttempt(job.EventId, job.Type, job.Attempt, stores.Time.GetUtcNow(), status, null, 12, outcome, retryAt);
        return new WebhookSettlement(job, disposition, retryAt, attempt);
    }
}
