using System.Threading.Channels;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Edge.Carrier;
using AgentMessage.Server.Edge.Carrier.Simulator;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Tests.Edge.Carrier.Simulator;

/// <summary>The simulator on a manual clock: both latencies wait on the injected TimeProvider, and a
/// receipt reaches the receipt port in-process, without an HTTP client.</summary>
public sealed class CarrierSimulatorTimingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Latencies_RunOnTheInjectedClock_AndTheReceiptIsReportedInProcess()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.Parse("2025-03-04T05:06:07Z"));
        var sink = new RecordingReceiptSink();
        var options = new CarrierSimulatorOptions { SubmitLatency = TimeSpan.FromSeconds(2), ReceiptLatency = TimeSpan.FromSeconds(5) };
        var signer = new CarrierReceiptSigner(Options.Create(new CarrierReceiptOptions()), clock, NullLogger<CarrierReceiptSigner>.Instance);
        await using var simulator = new CarrierSimulator(Options.Create(options), signer, new NoHttpClients(), sink, clock, new RunningLifetime(), NullLogger<CarrierSimulator>.Instance);
        var message = new Message("m1", "org_a", "+15550001111", DeliverySupport.OrdinaryRecipient, "timing", MessageChannel.Sms, MessagePriority.Default,
            DeliveryStatus.Sending, null, [], TextEncoding.Gsm7, 1, clock.GetUtcNow(), clock.GetUtcNow());

        var submission = simulator.SubmitAsync(message, Ct).AsTask();
        Assert.Equal(TimeSpan.FromSeconds(2), await clock.NextTimerAsync().WaitAsync(Bound, Ct));
        Assert.False(submission.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await submission.WaitAsync(Bound, Ct)).Accepted);

        Assert.Equal(TimeSpan.FromSeconds(5), await clock.NextTimerAsync().WaitAsync(Bound, Ct));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(sink.Received.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var receipt = await sink.Received.WaitAsync(Bound, Ct);

        Assert.Equal(new CarrierReceipt("org_a/m1", CarrierReceiptStatus.Delivered, null, DateTimeOffset.Parse("2025-03-04T05:06:14Z")), receipt);
    }

    private sealed class RecordingReceiptSink : ICarrierReceiptSink
    {
        private readonly TaskCompletionSource<CarrierReceipt> received = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CarrierReceipt> Received => received.Task;

        public ValueTask<ReceiptOutcome> ApplyAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
        {
            received.TrySetResult(receipt);
            return ValueTask.FromResult(ReceiptOutcome.Applied);
        }
    }

    /// <summary>The default simulator must not post receipts: any HTTP client asked for fails the test.</summary>
    private sealed class NoHttpClients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("the in-process simulator asked for an HTTP client");
    }

    private sealed class RunningLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    /// <summary>A clock that moves only when told; one-shot timers fire when it passes their due time.</summary>
    private sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
    {
        private readonly Lock gate = new();
        private readonly List<ManualTimer> timers = [];
        private readonly Channel<TimeSpan> created = Channel.CreateUnbounded<TimeSpan>();
        private DateTimeOffset now = start;

        public override DateTimeOffset GetUtcNow()
        {
            lock (gate)
            {
                return now;
            }
        }

        /// <summary>The due time of the next timer created, once one is.</summary>
        public Task<TimeSpan> NextTimerAsync() => created.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            timer.Change(dueTime, period);
            created.Writer.TryWrite(dueTime);
            return timer;
        }

        public void Advance(TimeSpan by)
        {
            List<ManualTimer> due;
            lock (gate)
            {
                now += by;
                due = timers.Where(t => t.DueAt <= now).ToList();
                timers.RemoveAll(due.Contains);
            }

            foreach (var timer in due)
            {
                timer.Fire();
            }
        }

        private sealed class ManualTimer(ManualTimeProvider clock, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset DueAt { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                lock (clock.gate)
                {
                    clock.timers.Remove(this);
                    if (dueTime != Timeout.InfiniteTimeSpan)
                    {
                        DueAt = clock.now + dueTime;
                        clock.timers.Add(this);
                    }
                }

                return true;
            }

            public void Fire() => callback(state);

            public void Dispose()
            {
                lock (clock.gate)
                {
                    clock.timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
