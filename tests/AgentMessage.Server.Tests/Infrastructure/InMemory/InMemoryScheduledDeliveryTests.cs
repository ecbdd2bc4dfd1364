namespace AgentMessage.Server.Tests.Infrastructure.InMemory;

/// <summary>Scheduled sends and cancels on the embedded default (in-memory state).</summary>
public sealed class InMemoryScheduledDeliveryTests : ScheduledDeliveryFlowTests
{
    protected override Task<TestServer> StartAsync(ShiftedTimeProvider clock, IDictionary<string, string> settings) =>
        StartWithClockAsync(clock, settings);
}
