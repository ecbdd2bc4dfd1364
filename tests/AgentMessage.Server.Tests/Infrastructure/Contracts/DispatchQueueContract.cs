using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// <see cref="IDispatchQueue"/>: the schedule admitted sends join, taken high priority first, each
/// sender number at its pace without holding up other numbers, scheduled messages at their send_at,
/// expired ones failed, leases reclaimed, waiting messages canceled. Time is the stores' fake clock.
/// </summary>
public abstract class DispatchQueueContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Fast enough that no test here meets the pace, unless it sets one.</summary>
    private static readonly TimeSpan Unpaced = TimeSpan.FromMilliseconds(0.001);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_empty_schedule_gives_nothing()
    {
        await using var stores = await CreateStoresAsync();

        var batch = await stores.Get<IDispatchQueue>().TakeAsync(ContractData.Organization(), 10, Lease, Ct);

        Assert.Empty(batch.Messages);
        Assert.Null(batch.NextDueAt);
    }

    [Fact]
    public async Task High_priority_is_taken_first_then_arrival_order_each_once_and_sending()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var first = await AdmitAsync(stores, org);
        var urgent = await AdmitAsync(stores, org, priority: MessagePriority.High);
        var second = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();

        var taken = await queue.TakeAsync(org, 10, Lease, Ct);
        var again = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal([urgent.Id, first.Id, second.Id], taken.Messages.Select(m => m.Id));
        Assert.All(taken.Messages, m => Assert.Equal(DeliveryStatus.Sending, m.Status));
        Assert.All(taken.Messages, m => Assert.Equal("hello", m.Text));
        Assert.Empty(again.Messages);
        var events = await stores.Get<IStatusEventLog>().ReadAsync(org, null, 100, Ct);
        Assert.Equal(3, events.Count(e => e.Status == DeliveryStatus.Sending));
    }

    [Fact]
    public async Task A_take_gives_at_most_max()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add((await AdmitAsync(stores, org)).Id);
        }

        var queue = stores.Get<IDispatchQueue>();
        var firstTake = await queue.TakeAsync(org, 2, Lease, Ct);
        var secondTake = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal(2, firstTake.Messages.Count);
        Assert.Equal(sent, firstTake.Messages.Concat(secondTake.Messages).Select(m => m.Id));
    }

    [Fact]
    public async Task A_paced_number_sends_one_message_per_slot_and_never_holds_up_another_number()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var slow = ContractData.Number();
        var fast = ContractData.Number();
        var paced = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            paced.Add((await AdmitAsync(stores, org, from: slow, pace: TimeSpan.FromSeconds(1))).Id);
        }

        var other = await AdmitAsync(stores, org, from: fast);
        var queue = stores.Get<IDispatchQueue>();

        var start = stores.Time.GetUtcNow();
        var now = await queue.TakeAsync(org, 10, Lease, Ct);
        var soon = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(TimeSpan.FromMilliseconds(999));
        var almost = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(TimeSpan.FromMilliseconds(1));
        var next = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal(new[] { paced[0], other.Id }.Order(), now.Messages.Select(m => m.Id).Order());
        Assert.Empty(soon.Messages);
        Assert.Equal(start.AddSeconds(1), soon.NextDueAt);
        Assert.Empty(almost.Messages);
        Assert.Equal([paced[1]], next.Messages.Select(m => m.Id));
    }

    [Fact]
    public async Task A_scheduled_message_is_taken_at_its_send_at_and_not_before()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var sendAt = stores.Time.GetUtcNow().AddSeconds(10);
        var later = await AdmitAsync(stores, org, sendAt: sendAt);
        var queue = stores.Get<IDispatchQueue>();

        var early = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(TimeSpan.FromSeconds(9.9));
        var stillEarly = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(TimeSpan.FromSeconds(0.1));
        var due = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Empty(early.Messages);
        Assert.Equal(sendAt, early.NextDueAt);
        Assert.Empty(stillEarly.Messages);
        Assert.Equal([later.Id], due.Messages.Select(m => m.Id));
        Assert.Equal(DeliveryStatus.Sending, due.Messages[0].Status);
    }

    [Fact]
    public async Task A_message_past_its_validity_fails_expired_in_queue_and_is_never_taken()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var slow = ContractData.Number();
        var blocker = await AdmitAsync(stores, org, from: slow, pace: TimeSpan.FromSeconds(10));
        var stale = await AdmitAsync(stores, org, from: slow, pace: TimeSpan.FromSeconds(10), validFor: TimeSpan.FromSeconds(5));
        var queue = stores.Get<IDispatchQueue>();

        var first = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(TimeSpan.FromSeconds(10));
        var second = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal([blocker.Id], first.Messages.Select(m => m.Id));
        Assert.Empty(second.Messages);
        Assert.Equal(1, second.Expired);
        var failed = await stores.Get<IMessageStore>().GetAsync(org, stale.Id, Ct);
        Assert.Equal(DeliveryStatus.Failed, failed!.Status);
        Assert.Equal(DispatchErrors.ExpiredInQueue, failed.ErrorCode);
    }

    [Fact]
    public async Task Completed_messages_keep_their_outcome_and_lose_their_lease()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var accepted = await AdmitAsync(stores, org);
        var rejected = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();
        await queue.TakeAsync(org, 10, Lease, Ct);

        await queue.CompleteAsync(org, [new(accepted.Id, DeliveryStatus.Sent, null), new(rejected.Id, DeliveryStatus.Failed, "rejected")], Ct);
        stores.Time.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.Equal(0, await queue.ReclaimAsync(Ct));
        Assert.Empty((await queue.TakeAsync(org, 10, Lease, Ct)).Messages);
        var messages = stores.Get<IMessageStore>();
        Assert.Equal(DeliveryStatus.Sent, (await messages.GetAsync(org, accepted.Id, Ct))!.Status);
        var failed = (await messages.GetAsync(org, rejected.Id, Ct))!;
        Assert.Equal((DeliveryStatus.Failed, "rejected"), (failed.Status, failed.ErrorCode));
    }

    [Fact]
    public async Task A_message_refused_for_now_stays_sending_and_is_taken_again_at_its_retry_time()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var throttled = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();
        await queue.TakeAsync(org, 10, Lease, Ct);
        var retryAt = stores.Time.GetUtcNow().AddSeconds(4);

        await queue.CompleteAsync(org, [DispatchOutcome.Retry(throttled.Id, retryAt)], Ct);
        var early = await queue.TakeAsync(org, 10, Lease, Ct);
        var waiting = await stores.Get<IMessageStore>().GetAsync(org, throttled.Id, Ct);
        stores.Time.Advance(TimeSpan.FromSeconds(4));
        var due = await queue.TakeAsync(org, 10, Lease, Ct);
        stores.Time.Advance(Lease + TimeSpan.FromSeconds(1));

        Assert.Empty(early.Messages);
        Assert.Equal(retryAt, early.NextDueAt);
        Assert.Equal(DeliveryStatus.Sending, waiting!.Status);
        Assert.Equal([throttled.Id], due.Messages.Select(m => m.Id));
        Assert.Equal(DeliveryStatus.Sending, due.Messages[0].Status);
        Assert.Equal(1, await queue.ReclaimAsync(Ct));
    }

    [Fact]
    public async Task A_retry_for_a_message_no_longer_sending_is_dropped()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var message = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();
        await queue.TakeAsync(org, 10, Lease, Ct);
        await queue.CompleteAsync(org, [new(message.Id, DeliveryStatus.Sent, null)], Ct);

        await queue.CompleteAsync(org, [DispatchOutcome.Retry(message.Id, stores.Time.GetUtcNow())], Ct);

        Assert.Empty((await queue.TakeAsync(org, 10, Lease, Ct)).Messages);
        Assert.Equal(DeliveryStatus.Sent, (await stores.Get<IMessageStore>().GetAsync(org, message.Id, Ct))!.Status);
    }

    [Fact]
    public async Task A_lapsed_lease_puts_the_message_back_to_be_taken_again()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var lost = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();
        await queue.TakeAsync(org, 10, Lease, Ct);

        stores.Time.Advance(Lease - TimeSpan.FromSeconds(1));
        var tooEarly = await queue.ReclaimAsync(Ct);
        stores.Time.Advance(TimeSpan.FromSeconds(2));
        var reclaimed = await queue.ReclaimAsync(Ct);
        var retaken = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal(0, tooEarly);
        Assert.Equal(1, reclaimed);
        Assert.Equal([lost.Id], retaken.Messages.Select(m => m.Id));
        Assert.Equal(DeliveryStatus.Sending, retaken.Messages[0].Status);
    }

    [Fact]
    public async Task Waiting_messages_cancel_and_are_never_taken_others_do_not()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var queued = await AdmitAsync(stores, org);
        var scheduled = await AdmitAsync(stores, org, sendAt: stores.Time.GetUtcNow().AddMinutes(5));
        var taken = await AdmitAsync(stores, org);
        var queue = stores.Get<IDispatchQueue>();

        var canceledQueued = await queue.CancelAsync(org, queued.Id, Ct);
        var batch = await queue.TakeAsync(org, 10, Lease, Ct);
        var canceledScheduled = await queue.CancelAsync(org, scheduled.Id, Ct);
        var notCanceled = await queue.CancelAsync(org, taken.Id, Ct);
        var unknown = await queue.CancelAsync(org, Guid.NewGuid().ToString("N"), Ct);
        stores.Time.Advance(TimeSpan.FromMinutes(6));
        var later = await queue.TakeAsync(org, 10, Lease, Ct);

        Assert.Equal(new CancelOutcome(true, DeliveryStatus.Canceled), canceledQueued);
        Assert.Equal([taken.Id], batch.Messages.Select(m => m.Id));
        Assert.Equal(new CancelOutcome(true, DeliveryStatus.Canceled), canceledScheduled);
        Assert.Equal(new CancelOutcome(false, DeliveryStatus.Sending), notCanceled);
        Assert.Equal(new CancelOutcome(false, null), unknown);
        Assert.Empty(later.Messages);
        var events = await stores.Get<IStatusEventLog>().ReadAsync(org, null, 100, Ct);
        Assert.Equal(2, events.Count(e => e.Status == DeliveryStatus.Canceled));
    }

    [Fact]
    public async Task An_organization_with_work_is_listed()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        await AdmitAsync(stores, org);

        Assert.Contains(org, await stores.Get<IDispatchQueue>().OrganizationsAsync(Ct));
    }

    [Fact]
    public async Task A_snapshot_counts_the_due_messages_and_dates_the_oldest_but_not_later_or_taken_ones()
    {
        await using var stores = await CreateStoresAsync();
        var queue = stores.Get<IDispatchQueue>();
        var empty = await queue.SnapshotAsync(Ct);
        var org = ContractData.Organization();
        var first = await AdmitAsync(stores, org);
        stores.Time.Advance(TimeSpan.FromSeconds(2));
        await AdmitAsync(stores, org, priority: MessagePriority.High);
        await AdmitAsync(stores, org, from: ContractData.Number());
        await AdmitAsync(stores, org, sendAt: stores.Time.GetUtcNow().AddMinutes(5));
        var taken = await AdmitAsync(stores, ContractData.Organization());
        await queue.TakeAsync(taken.OrganizationId, 10, Lease, Ct);

        var snapshot = await queue.SnapshotAsync(Ct);

        Assert.Equal(empty.Depth + 3, snapshot.Depth);
        Assert.True(snapshot.OldestDueAt <= first.CreatedAt, $"{snapshot.OldestDueAt} is later than {first.CreatedAt}");
    }

    private static async Task<Message> AdmitAsync(
        StoreHarness stores,
        string org,
        MessagePriority priority = MessagePriority.Default,
        string? from = null,
        TimeSpan? pace = null,
        DateTimeOffset? sendAt = null,
        TimeSpan? validFor = null)
    {
        var now = stores.Time.GetUtcNow();
        var message = ContractData.Message(org, now, priority: priority) with
        {
            From = from ?? "+15550000001",
            Status = sendAt is null ? DeliveryStatus.Queued : DeliveryStatus.Scheduled,
            SendAt = sendAt,
            ValidUntil = (sendAt ?? now) + (validFor ?? TimeSpan.FromHours(4)),
        };
        var admission = await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, message, null, pace ?? Unpaced), Ct);
        Assert.True(admission.RateLimit.Allowed);
        return message;
    }
}
