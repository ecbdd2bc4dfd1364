using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// <see cref="IMessageStatusStore"/> and <see cref="IStatusEventLog"/>: the lifecycle of docs/API.md
/// section 9, the same on every store.
/// </summary>
public abstract class StatusStoreContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Forward_moves_are_recorded_and_update_the_message()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);

        foreach (var status in new[] { DeliveryStatus.Sending, DeliveryStatus.Sent, DeliveryStatus.Delivered })
        {
            stores.Time.Advance(TimeSpan.FromSeconds(1));
            var moved = await TransitionAsync(stores, message, status);
            Assert.NotNull(moved);
            Assert.Equal(status, moved.Status);
        }

        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.NotNull(stored);
        Assert.Equal(DeliveryStatus.Delivered, stored.Status);
        Assert.Equal(stores.Time.GetUtcNow(), stored.UpdatedAt);
    }

    [Theory]
    [InlineData(DeliveryStatus.Queued, DeliveryStatus.Sending, true)]
    [InlineData(DeliveryStatus.Queued, DeliveryStatus.Delivered, true)]
    [InlineData(DeliveryStatus.Queued, DeliveryStatus.Failed, true)]
    [InlineData(DeliveryStatus.Sending, DeliveryStatus.Undelivered, true)]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.Failed, true)]
    [InlineData(DeliveryStatus.Queued, DeliveryStatus.Queued, false)]
    [InlineData(DeliveryStatus.Sending, DeliveryStatus.Queued, false)]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.Sending, false)]
    [InlineData(DeliveryStatus.Sent, DeliveryStatus.Sent, false)]
    public async Task A_move_is_applied_exactly_when_the_lifecycle_allows_it(DeliveryStatus from, DeliveryStatus to, bool applied)
    {
        Assert.Equal(applied, DeliveryLifecycle.CanMove(from, to));
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);
        if (from != DeliveryStatus.Queued)
        {
            Assert.NotNull(await TransitionAsync(stores, message, from));
        }

        var moved = await TransitionAsync(stores, message, to);

        Assert.Equal(applied, moved is not null);
        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal(applied ? to : from, stored!.Status);
    }

    [Theory]
    [InlineData(DeliveryStatus.Delivered)]
    [InlineData(DeliveryStatus.Undelivered)]
    [InlineData(DeliveryStatus.Failed)]
    public async Task A_terminal_status_never_changes(DeliveryStatus terminal)
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);
        Assert.NotNull(await TransitionAsync(stores, message, terminal));
        var lastEvent = await stores.Get<IStatusEventLog>().LastEventIdAsync(message.OrganizationId, Ct);

        foreach (var status in DeliveryLifecycle.Statuses)
        {
            Assert.Null(await TransitionAsync(stores, message, status, "LATE"));
        }

        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal(terminal, stored!.Status);
        Assert.Null(stored.ErrorCode);
        Assert.Equal(lastEvent, await stores.Get<IStatusEventLog>().LastEventIdAsync(message.OrganizationId, Ct));
    }

    [Fact]
    public async Task Late_and_duplicate_receipts_are_ignored_and_append_no_event()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);
        Assert.NotNull(await TransitionAsync(stores, message, DeliveryStatus.Sent));

        Assert.Null(await TransitionAsync(stores, message, DeliveryStatus.Sent));
        Assert.Null(await TransitionAsync(stores, message, DeliveryStatus.Sending));

        var events = await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 100, Ct);
        Assert.Equal([DeliveryStatus.Queued, DeliveryStatus.Sent], events.Select(e => e.Status));
    }

    [Fact]
    public async Task A_move_of_an_unknown_message_is_ignored()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();

        Assert.Null(await stores.Get<IMessageStatusStore>().TransitionAsync(org, "no-such-message", DeliveryStatus.Sent, null, Ct));
        Assert.Null(await stores.Get<IStatusEventLog>().LastEventIdAsync(org, Ct));
    }

    [Fact]
    public async Task The_event_returned_carries_every_field_and_is_the_one_in_the_log()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores, tag: "campaign-7");
        stores.Time.Advance(TimeSpan.FromSeconds(3));

        var moved = await TransitionAsync(stores, message, DeliveryStatus.Failed, "CARRIER_REJECTED");

        Assert.NotNull(moved);
        Assert.Equal(message.OrganizationId, moved.OrganizationId);
        Assert.Equal(message.Id, moved.MessageId);
        Assert.Equal(DeliveryStatus.Failed, moved.Status);
        Assert.Equal("CARRIER_REJECTED", moved.ErrorCode);
        Assert.Equal(stores.Time.GetUtcNow(), moved.OccurredAt);
        Assert.Equal("campaign-7", moved.Tag);
        var logged = await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 100, Ct);
        Assert.Equal(moved, logged[^1]);
    }

    [Fact]
    public async Task An_error_code_recorded_earlier_is_carried_by_later_events()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);
        Assert.NotNull(await TransitionAsync(stores, message, DeliveryStatus.Sent, "SLOW_CARRIER"));

        var delivered = await TransitionAsync(stores, message, DeliveryStatus.Delivered);

        Assert.Equal("SLOW_CARRIER", delivered!.ErrorCode);
        Assert.Null(delivered.Tag);
        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal("SLOW_CARRIER", stored!.ErrorCode);
    }

    [Fact]
    public async Task The_accepted_event_opens_the_log_and_events_are_read_in_order()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores, tag: "t1");
        foreach (var status in new[] { DeliveryStatus.Sending, DeliveryStatus.Sent, DeliveryStatus.Delivered })
        {
            stores.Time.Advance(TimeSpan.FromMilliseconds(10));
            await TransitionAsync(stores, message, status);
        }

        var events = await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 100, Ct);

        Assert.Equal([DeliveryStatus.Queued, DeliveryStatus.Sending, DeliveryStatus.Sent, DeliveryStatus.Delivered], events.Select(e => e.Status));
        Assert.Equal(new StatusEvent(events[0].EventId, message.OrganizationId, message.Id, DeliveryStatus.Queued, null, message.CreatedAt, "t1"), events[0]);
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.True(EventIds.Compare(pair.First.EventId, pair.Second.EventId) < 0));
        Assert.Equal(events[^1].EventId, await stores.Get<IStatusEventLog>().LastEventIdAsync(message.OrganizationId, Ct));
    }

    [Fact]
    public async Task Reading_after_an_event_returns_only_later_ones_up_to_the_count()
    {
        await using var stores = await CreateStoresAsync();
        var message = await AdmitAsync(stores);
        await TransitionAsync(stores, message, DeliveryStatus.Sending);
        await TransitionAsync(stores, message, DeliveryStatus.Sent);
        await TransitionAsync(stores, message, DeliveryStatus.Delivered);
        var log = stores.Get<IStatusEventLog>();
        var all = await log.ReadAsync(message.OrganizationId, null, 100, Ct);

        var afterFirst = await log.ReadAsync(message.OrganizationId, all[0].EventId, 2, Ct);
        var afterLast = await log.ReadAsync(message.OrganizationId, all[^1].EventId, 10, Ct);

        Assert.Equal(all.Skip(1).Take(2), afterFirst);
        Assert.Empty(afterLast);
        Assert.Empty(await log.ReadAsync(ContractData.Organization(), null, 10, Ct));
    }

    [Fact]
    public async Task A_bounded_log_reports_what_it_trimmed()
    {
        // Redis trims its stream approximately (whole nodes of 100 entries), so write well past that.
        await using var stores = await CreateStoresAsync(new Dictionary<string, string?> { [$"{DeliveryOptions.Section}:EventLogLength"] = "10" });
        var org = ContractData.Organization();
        var log = stores.Get<IStatusEventLog>();
        await AdmitAsync(stores, org);
        Assert.Null(await log.TrimmedThroughAsync(org, Ct));

        for (var i = 0; i < 300; i++)
        {
            await AdmitAsync(stores, org);
        }

        var trimmed = await log.TrimmedThroughAsync(org, Ct);
        var retained = await log.ReadAsync(org, null, 1000, Ct);
        Assert.NotNull(trimmed);
        Assert.InRange(retained.Count, 10, 300);
        Assert.True(EventIds.Compare(trimmed, retained[0].EventId) < 0);
        Assert.Equal(retained[^1].EventId, await log.LastEventIdAsync(org, Ct));
        Assert.Null(await log.TrimmedThroughAsync(ContractData.Organization(), Ct));
    }

    private static async Task<Message> AdmitAsync(StoreHarness stores, string? organizationId = null, string? tag = null)
    {
        var message = ContractData.Message(organizationId ?? ContractData.Organization(), stores.Time.GetUtcNow(), tag);
        var admission = await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, StoreHarness.Generous, message, null), Ct);
        Assert.True(admission.RateLimit.Allowed);
        return message;
    }

    private static ValueTask<StatusEvent?> TransitionAsync(StoreHarness stores, Message message, DeliveryStatus status, string? errorCode = null) =>
        stores.Get<IMessageStatusStore>().TransitionAsync(message.OrganizationId, message.Id, status, errorCode, Ct);
}
