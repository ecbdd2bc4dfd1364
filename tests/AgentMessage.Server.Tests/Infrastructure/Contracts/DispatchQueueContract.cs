using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IDispatchQueue"/>: entries written by admitted sends, taken high priority first, once.</summary>
public abstract class DispatchQueueContract
{
    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_empty_queue_gives_nothing()
    {
        await using var stores = await CreateStoresAsync();

        Assert.Empty(await stores.Get<IDispatchQueue>().TakeAsync(10, Ct));
    }

    [Fact]
    public async Task High_priority_entries_are_taken_first_then_in_arrival_order()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var first = await AdmitAsync(stores, org, MessagePriority.Default);
        var urgent = await AdmitAsync(stores, org, MessagePriority.High);
        var second = await AdmitAsync(stores, org, MessagePriority.Default);

        var taken = await stores.Get<IDispatchQueue>().TakeAsync(10, Ct);

        Assert.Equal([urgent.Id, first.Id, second.Id], taken.Select(i => i.MessageId));
        Assert.Equal([MessagePriority.High, MessagePriority.Default, MessagePriority.Default], taken.Select(i => i.Priority));
        Assert.All(taken, item => Assert.Equal(org, item.OrganizationId));
        Assert.Equal(3, taken.Select(i => i.EntryId).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_take_gives_at_most_max_and_each_entry_once()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add((await AdmitAsync(stores, org, MessagePriority.Default)).Id);
        }

        var queue = stores.Get<IDispatchQueue>();
        var firstTake = await queue.TakeAsync(2, Ct);
        var secondTake = await queue.TakeAsync(10, Ct);
        var thirdTake = await queue.TakeAsync(10, Ct);

        Assert.Equal(sent, firstTake.Concat(secondTake).Select(i => i.MessageId));
        Assert.Equal(2, firstTake.Count);
        Assert.Empty(thirdTake);
    }

    [Fact]
    public async Task Acknowledged_entries_are_gone_for_good()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        await AdmitAsync(stores, org, MessagePriority.High);
        await AdmitAsync(stores, org, MessagePriority.Default);
        var queue = stores.Get<IDispatchQueue>();

        foreach (var item in await queue.TakeAsync(10, Ct))
        {
            await queue.AcknowledgeAsync(item, Ct);
        }

        Assert.Empty(await queue.TakeAsync(10, Ct));
        Assert.Empty(await queue.ReclaimAsync(TimeSpan.Zero, 10, Ct));
    }

    private static async Task<Message> AdmitAsync(StoreHarness stores, string org, MessagePriority priority)
    {
        var message = ContractData.Message(org, stores.Time.GetUtcNow(), priority: priority);
        Assert.True((await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, message, null), Ct)).RateLimit.Allowed);
        return message;
    }
}
