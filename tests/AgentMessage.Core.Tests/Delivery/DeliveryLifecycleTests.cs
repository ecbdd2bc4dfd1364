using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;

namespace AgentMessage.Core.Tests.Delivery;

public sealed class DeliveryLifecycleTests
{
    [Fact]
    public void Received_IsTerminal_AndNoStatusMovesIntoOrOutOfIt()
    {
        Assert.True(DeliveryLifecycle.IsTerminal(DeliveryStatus.Received));
        Assert.True(DeliveryLifecycle.StartsRetention(DeliveryStatus.Received));
        Assert.All(DeliveryLifecycle.Statuses, status =>
        {
            Assert.False(DeliveryLifecycle.CanMove(status, DeliveryStatus.Received), $"{status} -> Received");
            Assert.False(DeliveryLifecycle.CanMove(DeliveryStatus.Received, status), $"Received -> {status}");
        });
    }

    [Fact]
    public void Received_LeavesTheOutboundMovesAsTheyWere()
    {
        var outbound = DeliveryLifecycle.Statuses.Where(s => s != DeliveryStatus.Received).ToList();

        Assert.Equal(
            [DeliveryStatus.Scheduled, DeliveryStatus.Queued, DeliveryStatus.Sending, DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Undelivered, DeliveryStatus.Failed, DeliveryStatus.Canceled],
            outbound);
        Assert.True(DeliveryLifecycle.CanMove(DeliveryStatus.Queued, DeliveryStatus.Canceled));
        Assert.True(DeliveryLifecycle.CanMove(DeliveryStatus.Sent, DeliveryStatus.Delivered));
        Assert.False(DeliveryLifecycle.CanMove(DeliveryStatus.Delivered, DeliveryStatus.Failed));
    }
}
