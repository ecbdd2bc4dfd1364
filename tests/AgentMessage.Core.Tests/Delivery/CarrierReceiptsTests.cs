using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentMessage.Core.Tests.Delivery;

/// <summary>The receipt port every carrier link reports through: references, the status mapping,
/// and that a receipt never moves a message backwards or out of a terminal state.</summary>
public sealed class CarrierReceiptsTests
{
    private const string Organization = "org_a";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("DELIVRD", null, DeliveryStatus.Delivered, null)]
    [InlineData("UNDELIV", "unreachable", DeliveryStatus.Undelivered, "unreachable")]
    [InlineData("UNDELIV", null, DeliveryStatus.Undelivered, "undeliverable")]
    [InlineData("EXPIRED", null, DeliveryStatus.Undelivered, "expired")]
    [InlineData("REJECTD", "045", DeliveryStatus.Failed, "045")]
    [InlineData("REJECTD", null, DeliveryStatus.Failed, "rejected")]
    [InlineData("ACCEPTD", null, DeliveryStatus.Sent, null)]
    public async Task Receipt_MovesTheMessageToTheMappedStatus(string carrierStatus, string? carrierError, DeliveryStatus expected, string? expectedError)
    {
        var store = new LifecycleStatusStore();
        store.Add("m1", DeliveryStatus.Sending);

        var outcome = await Port(store).ApplyAsync(new CarrierReceipt($"{Organization}/m1", carrierStatus, carrierError, null), Ct);

        Assert.Equal(ReceiptOutcome.Applied, outcome);
        Assert.Equal((expected, expectedError), store.Current("m1"));
    }

    [Fact]
    public async Task Receipt_ForATerminalMessage_ChangesNothing()
    {
        var store = new LifecycleStatusStore();
        store.Add("m1", DeliveryStatus.Sent);
        var port = Port(store);
        Assert.Equal(ReceiptOutcome.Applied, await port.ApplyAsync(new CarrierReceipt($"{Organization}/m1", CarrierReceiptStatus.Delivered, null, null), Ct));

        var late = await port.ApplyAsync(new CarrierReceipt($"{Organization}/m1", CarrierReceiptStatus.Undeliverable, "unreachable", DateTimeOffset.UnixEpoch), Ct);
        var duplicate = await port.ApplyAsync(new CarrierReceipt($"{Organization}/m1", CarrierReceiptStatus.Delivered, null, null), Ct);

        Assert.Equal(ReceiptOutcome.Ignored, late);
        Assert.Equal(ReceiptOutcome.Ignored, duplicate);
        Assert.Equal((DeliveryStatus.Delivered, (string?)null), store.Current("m1"));
    }

    [Fact]
    public async Task Receipt_ThatWouldMoveBackwards_ChangesNothing()
    {
        var store = new LifecycleStatusStore();
        store.Add("m1", DeliveryStatus.Sent);

        var outcome = await Port(store).ApplyAsync(new CarrierReceipt($"{Organization}/m1", CarrierReceiptStatus.Accepted, null, null), Ct);

        Assert.Equal(ReceiptOutcome.Ignored, outcome);
        Assert.Equal((DeliveryStatus.Sent, (string?)null), store.Current("m1"));
    }

    [Fact]
    public async Task Receipt_ForAnUnknownMessage_IsIgnored()
    {
        var store = new LifecycleStatusStore();

        var outcome = await Port(store).ApplyAsync(new CarrierReceipt($"{Organization}/never-sent", CarrierReceiptStatus.Delivered, null, null), Ct);

        Assert.Equal(ReceiptOutcome.Ignored, outcome);
        Assert.Equal(1, store.Transitions);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m1")]
    [InlineData("org_a/")]
    [InlineData("a/b/c")]
    [InlineData("org_a/m 1")]
    public async Task Receipt_WithAReferenceNotOurs_NeverReachesTheStore(string reference)
    {
        var store = new LifecycleStatusStore();
        store.Add("m1", DeliveryStatus.Sent);

        var outcome = await Port(store).ApplyAsync(new CarrierReceipt(reference, CarrierReceiptStatus.Delivered, null, null), Ct);

        Assert.Equal(ReceiptOutcome.UnknownReference, outcome);
        Assert.Equal(0, store.Transitions);
    }

    [Theory]
    [InlineData("ENROUTE")]
    [InlineData("SLEEPING")]
    public async Task Receipt_WithAStatusThatSaysNothing_NeverReachesTheStore(string carrierStatus)
    {
        var store = new LifecycleStatusStore();
        store.Add("m1", DeliveryStatus.Sent);

        var outcome = await Port(store).ApplyAsync(new CarrierReceipt($"{Organization}/m1", carrierStatus, null, null), Ct);

        Assert.Equal(ReceiptOutcome.NoStatusChange, outcome);
        Assert.Equal(0, store.Transitions);
        Assert.Equal((DeliveryStatus.Sent, (string?)null), store.Current("m1"));
    }

    [Fact]
    public async Task Receipt_WhenTheStoreIsDown_Throws_SoTheCarrierRetries()
    {
        var store = new LifecycleStatusStore { Down = true };
        store.Add("m1", DeliveryStatus.Sent);

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Port(store).ApplyAsync(new CarrierReceipt($"{Organization}/m1", CarrierReceiptStatus.Delivered, null, null), Ct));
    }

    private static CarrierReceipts Port(IMessageStatusStore store) => new(store, NullLogger<CarrierReceipts>.Instance);

    /// <summary>Statuses of one organization's messages, moved as the real stores move them
    /// (<see cref="DeliveryLifecycle.CanMove"/>); counts the calls that reach it.</summary>
    private sealed class LifecycleStatusStore : IMessageStatusStore
    {
        private readonly Dictionary<string, (DeliveryStatus Status, string? ErrorCode)> messages = new(StringComparer.Ordinal);

        public bool Down { get; init; }

        public int Transitions { get; private set; }

        public void Add(string messageId, DeliveryStatus status) => messages[messageId] = (status, null);

        public (DeliveryStatus Status, string? ErrorCode) Current(string messageId) => messages[messageId];

        public ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken)
        {
            Transitions++;
            if (Down)
            {
                throw new InvalidOperationException("state store unavailable");
            }

            if (organizationId != Organization || !messages.TryGetValue(messageId, out var current) || !DeliveryLifecycle.CanMove(current.Status, status))
            {
                return ValueTask.FromResult<StatusEvent?>(null);
            }

            messages[messageId] = (status, errorCode ?? current.ErrorCode);
            var now = DateTimeOffset.UtcNow;
            return ValueTask.FromResult<StatusEvent?>(new StatusEvent($"{now.ToUnixTimeMilliseconds()}-{Transitions}", organizationId, messageId, status, errorCode, now, null));
        }
    }
}
