using System.Collections.Concurrent;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.DeliverySupport;

namespace AgentMessage.Server.Tests.Infrastructure.Redis.Delivery;

/// <summary>The dispatch schedule shared by instances on one Redis: a number's pace holds across
/// all of them, and a dead instance's in-flight messages are taken over, each delivered once.</summary>
public sealed class DispatchAcrossInstancesTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PacedNumber_DispatchedByTwoInstances_NeverGoesFasterThanItsPace()
    {
        await redis.Server.FlushAsync();
        var interval = TimeSpan.FromMilliseconds(250);
        await using var instances = await RedisInstances.StartAsync(redis.Server, Settings(
            ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "4")));
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await (i % 2 == 0 ? instances.A : instances.B).SendAsync(OrdinaryRecipient));
        }

        foreach (var id in ids)
        {
            await instances.A.WaitForStatusAsync(id, "delivered", timeoutSeconds: 20);
        }

        var events = await instances.A.Services.GetRequiredService<IStatusEventLog>().ReadAsync(DevSeed.OrganizationId, null, 1000, Ct);
        var handedOver = events.Where(e => e.Status == DeliveryStatus.Sending && ids.Contains(e.MessageId)).Select(e => e.OccurredAt).Order().ToList();
        Assert.Equal(ids.Count, handedOver.Count);

        // Slots are whole milliseconds of the clock that took the message: at most 1 ms is lost to rounding.
        var gaps = handedOver.Zip(handedOver.Skip(1), (earlier, later) => later - earlier).ToList();
        Assert.All(gaps, gap => Assert.True(gap >= interval - TimeSpan.FromMilliseconds(1), $"two messages {gap.TotalMilliseconds} ms apart"));
    }

    [Fact]
    public async Task InstanceGoneWithHundredsInFlight_TheOtherSubmitsEachOnceAndAllAreDelivered()
    {
        await redis.Server.FlushAsync();

        // A takes every message and never hears back from its carrier; it stops with all of them leased.
        var a = await TestServer.StartAsync(
            RedisSettings(("AgentMessage:Delivery:ReclaimAfter", "00:00:05"), ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "1000000")),
            services => services.AddSingleton<ICarrierGateway, SilentCarrier>());
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 300; i++)
            {
                ids.Add(await a.SendAsync(OrdinaryRecipient));
            }

            foreach (var id in ids)
            {
                await a.WaitForStatusAsync(id, "sending", timeoutSeconds: 20);
            }
        }
        finally
        {
            await a.DisposeAsync();
        }

        var submissions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var b = await TestServer.StartAsync(
            RedisSettings(("AgentMessage:Delivery:ReclaimAfter", "00:00:01"), ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "1000000")),
            services => Counting(services, submissions));
        foreach (var id in ids)
        {
            await b.WaitForStatusAsync(id, "delivered", timeoutSeconds: 60);
        }

        Assert.All(ids, id => Assert.Equal(1, submissions.GetValueOrDefault(id)));
        var events = await b.Services.GetRequiredService<IStatusEventLog>().ReadAsync(DevSeed.OrganizationId, null, 10_000, Ct);
        Assert.All(ids, id => Assert.Single(events, e => e.MessageId == id && e.Status == DeliveryStatus.Delivered));
    }

    private Dictionary<string, string> RedisSettings(params (string Key, string Value)[] extra)
    {
        var settings = Settings(extra);
        settings["AgentMessage:Redis:Configuration"] = redis.Server.Configuration;
        settings["AgentMessage:Dev:Seed"] = "true";
        settings["AgentMessage:RateLimits:Send:Burst"] = "100000";
        settings["AgentMessage:RateLimits:Send:PerSecond"] = "100000";
        return settings;
    }

    /// <summary>Counts the submissions that reach the registered gateway, per message.</summary>
    private static void Counting(IServiceCollection services, ConcurrentDictionary<string, int> submissions)
    {
        var original = services.Last(d => d.ServiceType == typeof(ICarrierGateway));
        services.AddSingleton<ICarrierGateway>(sp => new CountingCarrier((ICarrierGateway)original.ImplementationFactory!(sp), submissions));
    }

    /// <summary>A carrier that accepts the connection and never answers a submission.</summary>
    private sealed class SilentCarrier : ICarrierGateway
    {
        private readonly TaskCompletionSource<CarrierSubmission> never = new();

        public ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken) => new(never.Task);
    }

    private sealed class CountingCarrier(ICarrierGateway inner, ConcurrentDictionary<string, int> submissions) : ICarrierGateway
    {
        public ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken)
        {
            submissions.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
            return inner.SubmitAsync(message, cancellationToken);
        }
    }
}
