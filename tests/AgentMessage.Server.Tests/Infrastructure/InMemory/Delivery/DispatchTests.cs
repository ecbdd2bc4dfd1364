using System.Collections.Concurrent;
using System.Diagnostics;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Edge.Carrier.Simulator;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.InMemory.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static AgentMessage.Server.Tests.Support.DeliverySupport;

namespace AgentMessage.Server.Tests.Infrastructure.InMemory.Delivery;

/// <summary>The dispatcher: priority, pacing, at-least-once without duplicates, shutdown.</summary>
public sealed class DispatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HighPriority_QueuedBehindDefaultOnes_IsDispatchedFirst()
    {
        // One worker and a sender paced at one message a second: a backlog builds up behind the
        // second message while the rest are sent.
        await using var server = await TestServer.StartAsync(Settings(
            ("AgentMessage:Delivery:Workers", "1"),
            ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "1")));
        await server.GetMessageAsync(await server.SendAsync(OrdinaryRecipient));

        var defaults = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            defaults.Add(await server.SendAsync(OrdinaryRecipient));
        }

        var high = await server.SendAsync(OrdinaryRecipient, priority: "high");

        var started = Stopwatch.StartNew();
        while (await server.StatusAsync(high) == "queued")
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), "the high-priority message never left the queue");
            await Task.Delay(20, Ct);
        }

        // The worker may have taken the first defaults before the high one arrived; the later ones wait behind it.
        Assert.Equal("queued", await server.StatusAsync(defaults[^1]));
        Assert.Equal("queued", await server.StatusAsync(defaults[^2]));

        // Over the pace is late, never refused: all of them are delivered in the end.
        foreach (var id in defaults.Append(high))
        {
            await server.WaitForStatusAsync(id, "delivered", timeoutSeconds: 20);
        }
    }

    [Fact]
    public async Task DuplicateQueueEntry_ForAMessageAlreadySent_IsNotSubmittedAgain()
    {
        var gateway = new CountingGateway();
        await using var server = await TestServer.StartAsync(Settings(), services => gateway.Wrap(services));
        await SeedSimulatorConsentAsync(server);
        var id = await server.SendAsync(CarrierSimulator.NoReceiptNumber);
        await server.WaitForStatusAsync(id, "sent");

        // At-least-once: the same entry comes back (as after a reclaim).
        var message = await server.Services.GetRequiredService<IMessageStore>().GetAsync(DevSeed.OrganizationId, id, Ct);
        server.Services.GetRequiredService<InMemoryDispatchQueue>().Enqueue(message!, TimeSpan.FromMilliseconds(1));
        var later = await server.SendAsync(OrdinaryRecipient);
        await server.WaitForStatusAsync(later, "delivered");

        Assert.Equal(1, gateway.Submissions(id));
        Assert.Equal("sent", await server.StatusAsync(id));
    }

    [Fact]
    public async Task Resubmission_OfTheSameMessage_IsTheSameReferenceAndGetsNoSecondReceipt()
    {
        var statuses = new RecordingStatuses();
        await using var server = await TestServer.StartAsync(Settings(), services => statuses.Wrap(services));
        var id = await server.SendAsync(OrdinaryRecipient);
        await server.WaitForStatusAsync(id, "delivered");
        var message = await server.Services.GetRequiredService<IMessageStore>().GetAsync(DevSeed.OrganizationId, id, Ct);

        var again = await server.Services.GetRequiredService<ICarrierGateway>().SubmitAsync(message!, Ct);

        Assert.True(again.Accepted);
        Assert.Equal($"{DevSeed.OrganizationId}/{id}", again.Reference);

        // A message submitted after the retry has its receipt; a second one for the retry would have come by then.
        var later = await server.SendAsync(OrdinaryRecipient);
        await server.WaitForStatusAsync(later, "delivered");
        Assert.Equal(1, statuses.Requests(id, DeliveryStatus.Delivered));
    }

    [Fact]
    public async Task NoWorkers_LeavesMessagesQueued()
    {
        await using var server = await TestServer.StartAsync(Settings(("AgentMessage:Delivery:Workers", "0")));
        var id = await server.SendAsync(OrdinaryRecipient);

        // Without workers nothing ever takes from the queue, so there is no moment to wait for: a
        // second send after the first finds both still queued.
        var later = await server.SendAsync(OrdinaryRecipient);

        Assert.Equal("queued", await server.StatusAsync(id));
        Assert.Equal("queued", await server.StatusAsync(later));
    }

    [Fact]
    public async Task DispatchOff_LeavesMessagesQueued_AndItsEarlierSwitchStillWorks()
    {
        await using var apiOnly = await TestServer.StartAsync(Settings(("AgentMessage:Delivery:Dispatch", "false"), ("AgentMessage:Delivery:Workers", "4")));
        var id = await apiOnly.SendAsync(OrdinaryRecipient);
        var later = await apiOnly.SendAsync(OrdinaryRecipient);

        Assert.Equal("queued", await apiOnly.StatusAsync(id));
        Assert.Equal("queued", await apiOnly.StatusAsync(later));
        Assert.False(apiOnly.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value.DispatchEnabled);

        await using var legacy = await TestServer.StartAsync(Settings(("AgentMessage:Delivery:Workers", "0")));
        Assert.False(legacy.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value.DispatchEnabled);
    }

    [Fact]
    public async Task Stop_WhileMessagesWaitForTheirPace_IsPrompt()
    {
        var server = await TestServer.StartAsync(Settings(
            ("AgentMessage:Delivery:Workers", "2"),
            ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "0.01")));
        for (var i = 0; i < 4; i++)
        {
            await server.SendAsync(OrdinaryRecipient);
        }

        var stopping = Stopwatch.StartNew();
        await server.DisposeAsync();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopping.Elapsed}");
    }

    /// <summary>Counts submissions per message, passing them on to the registered gateway.</summary>
    private sealed class CountingGateway
    {
        private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

        public int Submissions(string messageId) => counts.GetValueOrDefault(messageId);

        public void Wrap(IServiceCollection services) => Decorate<ICarrierGateway>(services, inner => new Counting(inner, this));

        private sealed class Counting(ICarrierGateway inner, CountingGateway owner) : ICarrierGateway
        {
            public ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken)
            {
                owner.counts.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
                return inner.SubmitAsync(message, cancellationToken);
            }
        }
    }

    /// <summary>Records every requested transition, applied or not.</summary>
    private sealed class RecordingStatuses
    {
        private readonly ConcurrentQueue<(string MessageId, DeliveryStatus Status)> requests = new();

        public int Requests(string messageId, DeliveryStatus status) => requests.Count(r => r.MessageId == messageId && r.Status == status);

        public void Wrap(IServiceCollection services) => Decorate<IMessageStatusStore>(services, inner => new Recording(inner, this));

        private sealed class Recording(IMessageStatusStore inner, RecordingStatuses owner) : IMessageStatusStore
        {
            public ValueTask<StatusEvent?> TransitionAsync(string organizationId, string messageId, DeliveryStatus status, string? errorCode, CancellationToken cancellationToken)
            {
                owner.requests.Enqueue((messageId, status));
                return inner.TransitionAsync(organizationId, messageId, status, errorCode, cancellationToken);
            }
        }
    }

    /// <summary>Replaces the last registration of <typeparamref name="T"/> with <paramref name="wrap"/> around it.</summary>
    private static void Decorate<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var original = services.Last(d => d.ServiceType == typeof(T));
        services.AddSingleton(sp => wrap((T)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
    }
}
