using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary><see cref="IInboundMessageStore"/>, and inbound messages as <see cref="IMessageStore"/>,
/// <see cref="IStatusEventLog"/> and <see cref="IMessageStatusStore"/> see them, the same on every store.</summary>
public abstract class InboundMessageStoreContract
{
    private static readonly TimeSpan Keep = TimeSpan.FromHours(24);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_inbound_message_is_stored_received_and_its_arrival_logged_as_inbound()
    {
        await using var stores = await CreateStoresAsync();
        var message = Inbound(ContractData.Organization(), stores.Time.GetUtcNow());

        var stored = await stores.Get<IInboundMessageStore>().StoreAsync(new InboundStoreRequest(message, null, false, Keep), Ct);

        Assert.Equal(new InboundDelivery(message.Id, false, Repeated: false), stored);
        var read = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal(MessageJson.Serialize(message), MessageJson.Serialize(read!));
        var logged = Assert.Single(await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 10, Ct));
        Assert.Equal((message.Id, DeliveryStatus.Received, MessageDirection.Inbound, null, null), (logged.MessageId, logged.Status, logged.Direction, logged.Tag, logged.ErrorCode));
        Assert.Equal(message.CreatedAt, logged.OccurredAt);
    }

    [Fact]
    public async Task A_send_and_its_moves_are_logged_as_outbound()
    {
        await using var stores = await CreateStoresAsync();
        var message = ContractData.Message(ContractData.Organization(), stores.Time.GetUtcNow());
        await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(message.OrganizationId, StoreHarness.Generous, message, null), Ct);
        await stores.Get<IMessageStatusStore>().TransitionAsync(message.OrganizationId, message.Id, DeliveryStatus.Failed, "x", Ct);

        var logged = await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 10, Ct);

        Assert.Equal([DeliveryStatus.Queued, DeliveryStatus.Failed], logged.Select(e => e.Status));
        Assert.All(logged, e => Assert.Equal(MessageDirection.Outbound, e.Direction));
    }

    [Fact]
    public async Task Arrivals_and_status_changes_share_one_order_in_the_log()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var sent = ContractData.Message(org, stores.Time.GetUtcNow());
        var first = Inbound(org, stores.Time.GetUtcNow());
        var second = Inbound(org, stores.Time.GetUtcNow());

        await stores.Get<IInboundMessageStore>().StoreAsync(new InboundStoreRequest(first, null, false, Keep), Ct);
        await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, sent, null), Ct);
        await stores.Get<IInboundMessageStore>().StoreAsync(new InboundStoreRequest(second, null, false, Keep), Ct);
        var log = stores.Get<IStatusEventLog>();
        var all = await log.ReadAsync(org, null, 10, Ct);
        var resumed = await log.ReadAsync(org, all[0].EventId, 10, Ct);

        Assert.Equal([first.Id, sent.Id, second.Id], all.Select(e => e.MessageId));
        Assert.Equal([MessageDirection.Inbound, MessageDirection.Outbound, MessageDirection.Inbound], all.Select(e => e.Direction));
        Assert.Equal([sent.Id, second.Id], resumed.Select(e => e.MessageId));
        Assert.Equal(all[^1].EventId, await log.LastEventIdAsync(org, Ct));
    }

    [Fact]
    public async Task A_repeated_delivery_key_stores_nothing_and_answers_the_first_delivery()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var first = Inbound(org, stores.Time.GetUtcNow());
        var again = Inbound(org, stores.Time.GetUtcNow());
        var inbound = stores.Get<IInboundMessageStore>();

        Assert.Null(await inbound.FindDeliveryAsync(org, "+15557770000:carrier-1", Ct));
        var stored = await inbound.StoreAsync(new InboundStoreRequest(first, "+15557770000:carrier-1", true, Keep), Ct);
        var repeated = await inbound.StoreAsync(new InboundStoreRequest(again, "+15557770000:carrier-1", false, Keep), Ct);
        var found = await inbound.FindDeliveryAsync(org, "+15557770000:carrier-1", Ct);
        var other = await inbound.StoreAsync(new InboundStoreRequest(Inbound(org, stores.Time.GetUtcNow()), "+15557770000:carrier-2", false, Keep), Ct);

        Assert.Equal(new InboundDelivery(first.Id, true, Repeated: false), stored);
        Assert.Equal(new InboundDelivery(first.Id, true, Repeated: true), repeated);
        Assert.Equal(repeated, found);
        Assert.False(other.Repeated);
        Assert.Null(await stores.Get<IMessageStore>().GetAsync(org, again.Id, Ct));
        Assert.Equal(2, (await stores.Get<IStatusEventLog>().ReadAsync(org, null, 10, Ct)).Count);
        Assert.Null(await inbound.FindDeliveryAsync(ContractData.Organization(), "+15557770000:carrier-1", Ct));
        if (stores.IsRedis)
        {
            // Remembered for the keep; the message kept for the retention, as a final outbound one is.
            var keys = await stores.RedisKeysAsync();
            var remembered = keys.Single(k => k.Key.EndsWith(":carrier-1", StringComparison.Ordinal)).Value;
            Assert.InRange(remembered!.Value, Keep - TimeSpan.FromMinutes(1), Keep);
            var kept = keys.Single(k => k.Key.EndsWith(first.Id, StringComparison.Ordinal)).Value;
            Assert.InRange(kept!.Value, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
        }
    }

    [Fact]
    public async Task A_received_message_never_moves()
    {
        await using var stores = await CreateStoresAsync();
        var message = Inbound(ContractData.Organization(), stores.Time.GetUtcNow());
        await stores.Get<IInboundMessageStore>().StoreAsync(new InboundStoreRequest(message, null, false, Keep), Ct);

        foreach (var status in DeliveryLifecycle.Statuses)
        {
            Assert.Null(await stores.Get<IMessageStatusStore>().TransitionAsync(message.OrganizationId, message.Id, status, "LATE", Ct));
        }

        var stored = await stores.Get<IMessageStore>().GetAsync(message.OrganizationId, message.Id, Ct);
        Assert.Equal((DeliveryStatus.Received, null), (stored!.Status, stored.ErrorCode));
        Assert.Single(await stores.Get<IStatusEventLog>().ReadAsync(message.OrganizationId, null, 10, Ct));
    }

    [Fact]
    public async Task A_listing_filters_by_direction_from_and_to_combined_with_status_and_tag()
    {
        await using var stores = await CreateStoresAsync();
        var org = ContractData.Organization();
        var person = ContractData.Number();
        var stranger = ContractData.Number();
        const string ours = "+15550000001";
        var replies = new List<Message>();
        var sends = new List<Message>();
        for (var i = 0; i < 3; i++)
        {
            var reply = Inbound(org, stores.Time.GetUtcNow(), from: i == 1 ? stranger : person, to: ours);
            await stores.Get<IInboundMessageStore>().StoreAsync(new InboundStoreRequest(reply, null, false, Keep), Ct);
            replies.Add(reply);
            var send = ContractData.Message(org, stores.Time.GetUtcNow(), tag: i == 0 ? "promo" : null) with { From = ours, To = person };
            await stores.Get<ISendAdmission>().AdmitAsync(new AdmissionRequest(org, StoreHarness.Generous, send, null), Ct);
            sends.Add(send);
        }

        var inbound = await stores.ListAllAsync(org, Query(direction: MessageDirection.Inbound, pageSize: 2));
        var outbound = await stores.ListAllAsync(org, Query(direction: MessageDirection.Outbound, pageSize: 2));
        var fromPerson = await stores.ListAllAsync(org, Query(direction: MessageDirection.Inbound, from: person, pageSize: 1));
        var toPerson = await stores.ListAllAsync(org, Query(to: person));
        var conversation = await stores.ListAllAsync(org, Query(from: ours, to: person, status: DeliveryStatus.Queued));
        var received = await stores.ListAllAsync(org, Query(status: DeliveryStatus.Received, to: ours));
        var taggedInbound = await stores.ListAllAsync(org, Query(tag: "promo", direction: MessageDirection.Inbound));
        var tagged = await stores.ListAllAsync(org, Query(tag: "promo", direction: MessageDirection.Outbound, to: person));

        Assert.Equal(replies.Select(m => m.Id).Reverse(), inbound.SelectMany(p => p));
        Assert.Equal([2, 1], inbound.Select(p => p.Count));
        Assert.Equal(sends.Select(m => m.Id).Reverse(), outbound.SelectMany(p => p));
        Assert.Equal([replies[2].Id, replies[0].Id], fromPerson.SelectMany(p => p));
        Assert.Equal(sends.Select(m => m.Id).Reverse(), toPerson.SelectMany(p => p));
        Assert.Equal(sends.Select(m => m.Id).Reverse(), conversation.SelectMany(p => p));
        Assert.Equal(replies.Select(m => m.Id).Reverse(), received.SelectMany(p => p));
        Assert.Empty(taggedInbound.SelectMany(p => p));
        Assert.Equal([sends[0].Id], tagged.SelectMany(p => p));
        Assert.Empty((await stores.Get<IMessageStore>().ListAsync(ContractData.Organization(), Query(direction: MessageDirection.Inbound), Ct)).Messages);
    }

    private static MessageQuery Query(string? tag = null, DeliveryStatus? status = null, MessageDirection? direction = null, string? from = null, string? to = null, int pageSize = 10) =>
        new(tag, status, pageSize, null, direction, from, to);

    private static Message Inbound(string organizationId, DateTimeOffset at, string from = "+15550000002", string to = "+15550000001") =>
        ContractData.Message(organizationId, at) with
        {
            From = from,
            To = to,
            Text = "see you at 10",
            Status = DeliveryStatus.Received,
            Direction = MessageDirection.Inbound,
            Media = ["https://carrier.example/media/1.jpg"],
            Channel = MessageChannel.Mms,
        };
}
