using AgentMessage.Core.Delivery;
using AgentMessage.Server.Infrastructure.Redis;

namespace AgentMessage.Server.Tests.Infrastructure.Contracts;

/// <summary>
/// <see cref="ICarrierLinkStore"/>: carrier ids to message parts, a multipart message's progress and
/// receipts, inbound part reassembly, and expiry after the keep. Time-based parts run on the fake
/// clock in memory; Redis expires on its own clock, so there they check each key's time to live
/// (and, once, wait for Redis to expire a short keep).
/// </summary>
public abstract class CarrierLinkStoreContract
{
    private const string Delivered = CarrierReceiptStatus.Delivered;
    private const string Undeliverable = CarrierReceiptStatus.Undeliverable;
    private const string Expired = CarrierReceiptStatus.Expired;
    private const string Rejected = CarrierReceiptStatus.Rejected;

    private static readonly TimeSpan Keep = TimeSpan.FromHours(1);

    /// <summary>The stores under test, empty.</summary>
    protected abstract Task<StoreHarness> CreateStoresAsync(IDictionary<string, string?>? settings = null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recorded_single_part_message_is_found_by_its_carrier_id()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var part = new CarrierPart(Reference(), 1, 1);
        var id = CarrierId();

        await store.RecordAcceptedAsync(id, part, Keep, Ct);

        Assert.Equal(part, await store.FindAsync(id, Ct));
    }

    [Fact]
    public async Task An_unknown_carrier_id_is_not_found()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        await store.RecordAcceptedAsync(CarrierId(), new CarrierPart(Reference(), 1, 1), Keep, Ct);

        Assert.Null(await store.FindAsync(CarrierId(), Ct));
    }

    [Fact]
    public async Task Each_accepted_part_of_a_multipart_message_is_found_by_its_own_carrier_id()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();
        var (first, third) = (CarrierId(), CarrierId());
        await store.BeginMultipartAsync(reference, 42, Keep, Ct);

        await store.RecordAcceptedAsync(first, new CarrierPart(reference, 1, 3), Keep, Ct);
        await store.RecordAcceptedAsync(third, new CarrierPart(reference, 3, 3), Keep, Ct);

        Assert.Equal(new CarrierPart(reference, 1, 3), await store.FindAsync(first, Ct));
        Assert.Equal(new CarrierPart(reference, 3, 3), await store.FindAsync(third, Ct));
    }

    [Fact]
    public async Task Beginning_a_multipart_message_again_returns_the_first_reference_and_the_accepted_parts()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();
        var (first, third) = (CarrierId(), CarrierId());

        var begun = await store.BeginMultipartAsync(reference, 17, Keep, Ct);
        await store.RecordAcceptedAsync(first, new CarrierPart(reference, 1, 3), Keep, Ct);
        await store.RecordAcceptedAsync(third, new CarrierPart(reference, 3, 3), Keep, Ct);
        var retried = await store.BeginMultipartAsync(reference, 99, Keep, Ct);

        Assert.Equal(17, begun.ConcatReference);
        Assert.Empty(begun.AcceptedParts);
        Assert.Equal(17, retried.ConcatReference);
        Assert.Equal(new Dictionary<int, string> { [1] = first, [3] = third }, retried.AcceptedParts);
    }

    [Fact]
    public async Task Accepted_parts_accumulate_across_submissions()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();
        var (first, second) = (CarrierId(), CarrierId());

        await store.BeginMultipartAsync(reference, 5, Keep, Ct);
        await store.RecordAcceptedAsync(first, new CarrierPart(reference, 1, 2), Keep, Ct);
        var afterFirst = await store.BeginMultipartAsync(reference, 6, Keep, Ct);
        await store.RecordAcceptedAsync(second, new CarrierPart(reference, 2, 2), Keep, Ct);
        var afterSecond = await store.BeginMultipartAsync(reference, 7, Keep, Ct);

        Assert.Equal(new Dictionary<int, string> { [1] = first }, afterFirst.AcceptedParts);
        Assert.Equal(5, afterSecond.ConcatReference);
        Assert.Equal(new Dictionary<int, string> { [1] = first, [2] = second }, afterSecond.AcceptedParts);
    }

    [Fact]
    public async Task A_part_accepted_before_the_message_was_begun_is_in_its_progress()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();
        var id = CarrierId();

        await store.RecordAcceptedAsync(id, new CarrierPart(reference, 2, 2), Keep, Ct);
        var progress = await store.BeginMultipartAsync(reference, 8, Keep, Ct);

        Assert.Equal(8, progress.ConcatReference);
        Assert.Equal(new Dictionary<int, string> { [2] = id }, progress.AcceptedParts);
    }

    [Fact]
    public async Task The_progress_of_different_messages_does_not_mix()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var (a, b) = (Reference(), Reference());
        await store.BeginMultipartAsync(a, 1, Keep, Ct);
        await store.BeginMultipartAsync(b, 2, Keep, Ct);

        await store.RecordAcceptedAsync(CarrierId(), new CarrierPart(a, 1, 2), Keep, Ct);
        var progressOfB = await store.BeginMultipartAsync(b, 3, Keep, Ct);

        Assert.Equal(2, progressOfB.ConcatReference);
        Assert.Empty(progressOfB.AcceptedParts);
        Assert.Equal(1, (await store.BeginMultipartAsync(a, 4, Keep, Ct)).ConcatReference);
    }

    [Fact]
    public async Task A_message_whose_parts_are_all_delivered_is_delivered_only_once_the_last_is()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();

        var afterFirst = await store.RecordPartStatusAsync(new CarrierPart(reference, 1, 3), Delivered, Keep, Ct);
        var afterThird = await store.RecordPartStatusAsync(new CarrierPart(reference, 3, 3), Delivered, Keep, Ct);
        var afterSecond = await store.RecordPartStatusAsync(new CarrierPart(reference, 2, 3), Delivered, Keep, Ct);

        Assert.Null(afterFirst);
        Assert.Null(afterThird);
        Assert.Equal(Delivered, afterSecond);
    }

    [Fact]
    public async Task The_first_part_status_that_is_not_delivered_decides_the_message()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();

        var delivered = await store.RecordPartStatusAsync(new CarrierPart(reference, 1, 4), Delivered, Keep, Ct);
        var undeliverable = await store.RecordPartStatusAsync(new CarrierPart(reference, 3, 4), Undeliverable, Keep, Ct);
        var expired = await store.RecordPartStatusAsync(new CarrierPart(reference, 2, 4), Expired, Keep, Ct);
        var lastDelivered = await store.RecordPartStatusAsync(new CarrierPart(reference, 4, 4), Delivered, Keep, Ct);

        Assert.Null(delivered);
        Assert.Equal(Undeliverable, undeliverable);
        Assert.Equal(Undeliverable, expired);
        Assert.Equal(Undeliverable, lastDelivered);
    }

    [Fact]
    public async Task A_repeated_receipt_for_a_part_keeps_the_first_status()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var (delivered, rejected) = (Reference(), Reference());

        var repeatAfterDelivered = await store.RecordPartStatusAsync(new CarrierPart(delivered, 1, 2), Delivered, Keep, Ct) ??
            await store.RecordPartStatusAsync(new CarrierPart(delivered, 1, 2), Undeliverable, Keep, Ct);
        var lastOfDelivered = await store.RecordPartStatusAsync(new CarrierPart(delivered, 2, 2), Delivered, Keep, Ct);
        var firstOfRejected = await store.RecordPartStatusAsync(new CarrierPart(rejected, 1, 2), Rejected, Keep, Ct);
        var repeatAfterRejected = await store.RecordPartStatusAsync(new CarrierPart(rejected, 1, 2), Delivered, Keep, Ct);

        Assert.Null(repeatAfterDelivered);
        Assert.Equal(Delivered, lastOfDelivered);
        Assert.Equal(Rejected, firstOfRejected);
        Assert.Equal(Rejected, repeatAfterRejected);
    }

    [Fact]
    public async Task Part_statuses_of_different_messages_do_not_mix()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var (a, b) = (Reference(), Reference());

        Assert.Null(await store.RecordPartStatusAsync(new CarrierPart(a, 1, 2), Delivered, Keep, Ct));
        Assert.Null(await store.RecordPartStatusAsync(new CarrierPart(b, 2, 2), Delivered, Keep, Ct));
        Assert.Equal(Undeliverable, await store.RecordPartStatusAsync(new CarrierPart(b, 1, 2), Undeliverable, Keep, Ct));
        Assert.Equal(Delivered, await store.RecordPartStatusAsync(new CarrierPart(a, 2, 2), Delivered, Keep, Ct));
    }

    [Fact]
    public async Task Inbound_parts_arriving_out_of_order_come_back_in_part_order_once_all_are_in()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var key = InboundKey();

        var afterThird = await store.AddInboundPartAsync(key, 3, 3, "world", Keep, Ct);
        var afterFirst = await store.AddInboundPartAsync(key, 1, 3, "hello ", Keep, Ct);
        var afterSecond = await store.AddInboundPartAsync(key, 2, 3, "there ", Keep, Ct);

        Assert.Null(afterThird);
        Assert.Null(afterFirst);
        Assert.Equal(["hello ", "there ", "world"], afterSecond);
    }

    [Fact]
    public async Task A_repeated_inbound_part_replaces_the_earlier_copy()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var key = InboundKey();

        var first = await store.AddInboundPartAsync(key, 1, 2, "first copy", Keep, Ct);
        var repeat = await store.AddInboundPartAsync(key, 1, 2, "second copy", Keep, Ct);
        var complete = await store.AddInboundPartAsync(key, 2, 2, "end", Keep, Ct);

        Assert.Null(first);
        Assert.Null(repeat);
        Assert.Equal(["second copy", "end"], complete);
    }

    [Fact]
    public async Task A_completed_inbound_message_is_forgotten_so_its_key_starts_a_new_one()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var key = InboundKey();
        await store.AddInboundPartAsync(key, 1, 2, "a1", Keep, Ct);
        await store.AddInboundPartAsync(key, 2, 2, "a2", Keep, Ct);

        var again = await store.AddInboundPartAsync(key, 1, 2, "b1", Keep, Ct);
        var complete = await store.AddInboundPartAsync(key, 2, 2, "b2", Keep, Ct);

        Assert.Null(again);
        Assert.Equal(["b1", "b2"], complete);
        if (stores.IsRedis)
        {
            Assert.Empty(await stores.RedisKeysAsync());
        }
    }

    [Fact]
    public async Task Inbound_parts_of_different_keys_do_not_mix()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var (a, b) = (InboundKey(), InboundKey());

        Assert.Null(await store.AddInboundPartAsync(a, 1, 2, "a1", Keep, Ct));
        Assert.Null(await store.AddInboundPartAsync(b, 2, 2, "b2", Keep, Ct));
        Assert.Equal(["a1", "a2"], await store.AddInboundPartAsync(a, 2, 2, "a2", Keep, Ct));
        Assert.Equal(["b1", "b2"], await store.AddInboundPartAsync(b, 1, 2, "b1", Keep, Ct));
    }

    [Fact]
    public async Task A_single_part_inbound_message_comes_back_at_once()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();

        Assert.Equal(["whole"], await store.AddInboundPartAsync(InboundKey(), 1, 1, "whole", Keep, Ct));
    }

    [Fact]
    public async Task Inbound_parts_added_at_once_complete_the_message_exactly_once()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var key = InboundKey();
        const int parts = 24;

        var results = await Task.WhenAll(Enumerable.Range(1, parts).Select(p =>
            Task.Run(async () => await store.AddInboundPartAsync(key, p, parts, $"part {p}", Keep, Ct), Ct)));

        var complete = Assert.Single(results, r => r is not null);
        Assert.Equal(Enumerable.Range(1, parts).Select(p => $"part {p}"), complete);
    }

    [Fact]
    public async Task Everything_recorded_is_forgotten_after_its_keep()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var keep = stores.IsRedis ? TimeSpan.FromSeconds(2) : Keep;
        var (single, reference, key) = (CarrierId(), Reference(), InboundKey());
        var multipart = CarrierId();

        await store.RecordAcceptedAsync(single, new CarrierPart(Reference(), 1, 1), keep, Ct);
        await store.BeginMultipartAsync(reference, 11, keep, Ct);
        await store.RecordAcceptedAsync(multipart, new CarrierPart(reference, 1, 2), keep, Ct);
        await store.RecordPartStatusAsync(new CarrierPart(reference, 1, 2), Delivered, keep, Ct);
        await store.AddInboundPartAsync(key, 1, 2, "first", keep, Ct);

        if (stores.IsRedis)
        {
            // Redis expires on its own clock: every key written has a time to live of at most the
            // keep, and then they go.
            var keys = await stores.RedisKeysAsync();
            Assert.Equal(5, keys.Count);
            Assert.All(keys.Values, ttl => Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), keep));
            Assert.True(await Eventually.HoldsAsync(async () => (await stores.RedisKeysAsync()).Count == 0, TimeSpan.FromSeconds(15), Ct));
        }
        else
        {
            stores.Time.Advance(keep - TimeSpan.FromMilliseconds(1));
            Assert.NotNull(await store.FindAsync(single, Ct));
            Assert.NotNull(await store.FindAsync(multipart, Ct));
            stores.Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Null(await store.FindAsync(single, Ct));
        Assert.Null(await store.FindAsync(multipart, Ct));
        var progress = await store.BeginMultipartAsync(reference, 12, Keep, Ct);
        Assert.Equal(12, progress.ConcatReference);
        Assert.Empty(progress.AcceptedParts);
        Assert.Null(await store.RecordPartStatusAsync(new CarrierPart(reference, 2, 2), Delivered, Keep, Ct));
        Assert.Null(await store.AddInboundPartAsync(key, 2, 2, "second", Keep, Ct));
    }

    [Fact]
    public async Task Progress_and_part_statuses_are_kept_for_the_keep_of_their_latest_write()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();
        var (shortKeep, longKeep) = (TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(60));
        var id = CarrierId();

        await store.BeginMultipartAsync(reference, 7, shortKeep, Ct);
        await store.RecordPartStatusAsync(new CarrierPart(reference, 1, 3), Delivered, shortKeep, Ct);
        stores.Time.Advance(TimeSpan.FromMinutes(8));
        await store.RecordAcceptedAsync(id, new CarrierPart(reference, 1, 3), longKeep, Ct);
        await store.RecordPartStatusAsync(new CarrierPart(reference, 2, 3), Delivered, longKeep, Ct);

        if (stores.IsRedis)
        {
            var keys = await stores.RedisKeysAsync();
            Assert.InRange(keys[(string)RedisKeys.CarrierProgress(reference)!] ?? TimeSpan.Zero, shortKeep, longKeep);
            Assert.InRange(keys[(string)RedisKeys.CarrierReceipts(reference)!] ?? TimeSpan.Zero, shortKeep, longKeep);
            return;
        }

        stores.Time.Advance(TimeSpan.FromMinutes(8));
        var progress = await store.BeginMultipartAsync(reference, 9, longKeep, Ct);
        Assert.Equal(7, progress.ConcatReference);
        Assert.Equal(new Dictionary<int, string> { [1] = id }, progress.AcceptedParts);
        Assert.Equal(Delivered, await store.RecordPartStatusAsync(new CarrierPart(reference, 3, 3), Delivered, longKeep, Ct));
    }

    [Fact]
    public async Task An_inbound_message_is_kept_for_the_keep_of_its_first_part()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var key = InboundKey();
        var (shortKeep, longKeep) = (TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(60));

        await store.AddInboundPartAsync(key, 1, 3, "one", shortKeep, Ct);
        stores.Time.Advance(TimeSpan.FromMinutes(8));
        await store.AddInboundPartAsync(key, 2, 3, "two", longKeep, Ct);

        if (stores.IsRedis)
        {
            var ttl = (await stores.RedisKeysAsync())[(string)RedisKeys.InboundParts(key)!];
            Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(1), shortKeep);
            return;
        }

        stores.Time.Advance(TimeSpan.FromMinutes(3));
        Assert.Null(await store.AddInboundPartAsync(key, 3, 3, "three", longKeep, Ct));
        Assert.Null(await store.AddInboundPartAsync(key, 1, 3, "one", longKeep, Ct));
        Assert.Equal(["one", "two", "three"], await store.AddInboundPartAsync(key, 2, 3, "two", longKeep, Ct));
    }

    [Fact]
    public async Task Part_numbers_outside_the_parts_and_a_keep_that_is_not_positive_are_refused()
    {
        await using var stores = await CreateStoresAsync();
        var store = stores.Get<ICarrierLinkStore>();
        var reference = Reference();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.RecordAcceptedAsync(CarrierId(), new CarrierPart(reference, 0, 2), Keep, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.RecordAcceptedAsync(CarrierId(), new CarrierPart(reference, 3, 2), Keep, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.RecordPartStatusAsync(new CarrierPart(reference, 1, 0), Delivered, Keep, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.AddInboundPartAsync(InboundKey(), 4, 3, "x", Keep, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.BeginMultipartAsync(reference, 1, TimeSpan.Zero, Ct));
        Assert.Empty((await store.BeginMultipartAsync(reference, 1, Keep, Ct)).AcceptedParts);
    }

    private static string Reference() => CarrierReference.Of(ContractData.Organization(), Guid.NewGuid().ToString("N"));

    /// <summary>Shaped like an SMSC's message id (hex), unique per call.</summary>
    private static string CarrierId() => Guid.NewGuid().ToString("N")[..16];

    private static string InboundKey() => $"{ContractData.Number()}:{Random.Shared.Next(256)}:{Guid.NewGuid():N}";
}
