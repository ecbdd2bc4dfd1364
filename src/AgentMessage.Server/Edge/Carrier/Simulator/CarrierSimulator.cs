using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using AgentMessage.Core.Delivery;
using AgentMessage.Core.Messaging;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Edge.Carrier.Simulator;

/// <summary>What the simulator does with a message, chosen by its recipient.</summary>
public enum SimulatedOutcome
{
    Delivered,
    Undelivered,
    Expired,
    RejectedAtSubmit,
    NoReceipt,
}

/// <summary>
/// The default <see cref="ICarrierGateway"/>: a carrier inside the server, so every delivery path
/// can be tried with curl. It answers a submission after <c>SubmitLatency</c> and, for an accepted
/// one, reports a receipt after <c>ReceiptLatency</c>: by default in-process, through
/// <see cref="ICarrierReceiptSink"/>, the port every carrier link reports through; when
/// <c>ReceiptUrl</c> is set, as a signed HTTP post to that URL, as an external HTTP carrier does
/// (docs/API.md section 9). Both wait on the injected <see cref="TimeProvider"/>. What happens
/// depends on the recipient:
/// <list type="table">
/// <listheader><term>to</term><description>outcome (final status, error_code)</description></listheader>
/// <item><term>+15550000001</term><description>accepted, then receipt UNDELIV: <c>undelivered</c>, <c>unreachable</c></description></item>
/// <item><term>+15550000002</term><description>rejected at submission: <c>failed</c>, <c>carrier_rejected</c></description></item>
/// <item><term>+15550000003</term><description>accepted, no receipt ever: stays <c>sent</c></description></item>
/// <item><term>+15550000004</term><description>accepted, then receipt EXPIRED: <c>undelivered</c>, <c>expired</c></description></item>
/// <item><term>any other number</term><description>accepted, then receipt DELIVRD: <c>delivered</c></description></item>
/// </list>
/// A resubmission of a reference it has already accepted (an at-least-once retry of the same
/// message) is accepted again under the same reference and schedules no second receipt.
/// </summary>
public sealed partial class CarrierSimulator : ICarrierGateway, IAsyncDisposable, IDisposable
{
    public const string HttpClientName = "AgentMessage.CarrierSimulator";

    public const string UndeliveredNumber = "+15550000001";
    public const string RejectedNumber = "+15550000002";
    public const string NoReceiptNumber = "+15550000003";
    public const string ExpiredNumber = "+15550000004";

    /// <summary>The numbers with an outcome other than "delivered".</summary>
    public static readonly IReadOnlyList<string> TableNumbers = [UndeliveredNumber, RejectedNumber, NoReceiptNumber, ExpiredNumber];

    public const string UnreachableError = "unreachable";
    public const string RejectedError = "carrier_rejected";
    public const string ExpiredError = "expired";

    /// <summary>The recipients with a special outcome; every other number is delivered.</summary>
    public static readonly IReadOnlyDictionary<string, SimulatedOutcome> Outcomes = new Dictionary<string, SimulatedOutcome>(StringComparer.Ordinal)
    {
        [UndeliveredNumber] = SimulatedOutcome.Undelivered,
        [RejectedNumber] = SimulatedOutcome.RejectedAtSubmit,
        [NoReceiptNumber] = SimulatedOutcome.NoReceipt,
        [ExpiredNumber] = SimulatedOutcome.Expired,
    };

    private static readonly TimeSpan[] ReceiptRetryDelays = [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    private readonly CarrierSimulatorOptions options;
    private readonly CarrierReceiptSigner signer;
    private readonly IHttpClientFactory clients;
    private readonly ICarrierReceiptSink receipts;
    private readonly TimeProvider time;
    private readonly ILogger<CarrierSimulator> logger;
    private readonly Uri? receiptUrl;
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationTokenRegistration onStopping;
    private readonly ConcurrentDictionary<long, Task> pending = new();
    private readonly HashSet<string> accepted = new(StringComparer.Ordinal);
    private readonly Queue<string> acceptedOrder = new();
    private long nextReceipt;

    public CarrierSimulator(
        IOptions<CarrierSimulatorOptions> options,
        CarrierReceiptSigner signer,
        IHttpClientFactory clients,
        ICarrierReceiptSink receipts,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<CarrierSimulator> logger)
    {
        this.options = options.Value;
        this.signer = signer;
        this.clients = clients;
        this.receipts = receipts;
        this.time = time;
        this.logger = logger;
        receiptUrl = ResolveReceiptUrl(this.options.ReceiptUrl);
        onStopping = lifetime.ApplicationStopping.Register(() => stopping.Cancel());
    }

    public static SimulatedOutcome OutcomeFor(string to) => Outcomes.GetValueOrDefault(to, SimulatedOutcome.Delivered);

    public async ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken)
    {
        using var activity = AgentMessage.Core.Telemetry.AgentMessageTelemetry.Source.StartActivity("CarrierSimulator submit", System.Diagnostics.ActivityKind.Client);
        var submission = await SimulateAsync(message, cancellationToken);
        activity?.SetTag(AgentMessage.Core.Telemetry.AgentMessageTelemetry.OutcomeTag, submission.Accepted ? "accepted" : "rejected");
        return submission;
    }

    private async ValueTask<CarrierSubmission> SimulateAsync(Message message, CancellationToken cancellationToken)
    {
        if (options.SubmitLatency > TimeSpan.Zero)
        {
            await Task.Delay(options.SubmitLatency, time, cancellationToken);
        }

        var reference = CarrierReference.Of(message);
        var outcome = OutcomeFor(message.To);
        if (outcome == SimulatedOutcome.RejectedAtSubmit)
        {
            return CarrierSubmission.Reject(reference, RejectedError);
        }

        if (!Remember(reference))
        {
            LogResubmitted(logger, reference);
            return CarrierSubmission.Accept(reference);
        }

        var receipt = outcome switch
        {
            SimulatedOutcome.Undelivered => new CarrierReceipt(reference, CarrierReceiptStatus.Undeliverable, UnreachableError, null),
            SimulatedOutcome.Expired => new CarrierReceipt(reference, CarrierReceiptStatus.Expired, ExpiredError, null),
            SimulatedOutcome.NoReceipt => null,
            _ => new CarrierReceipt(reference, CarrierReceiptStatus.Delivered, null, null),
        };
        if (receipt is not null)
        {
            Schedule(receipt);
        }

        return CarrierSubmission.Accept(reference);
    }

    public async ValueTask DisposeAsync()
    {
        await onStopping.DisposeAsync();
        await stopping.CancelAsync();
        try
        {
            await Task.WhenAll(pending.Values);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops pending receipts without waiting for them (they end at their next await).</summary>
    public void Dispose()
    {
        onStopping.Dispose();
        stopping.Cancel();
    }

    /// <summary>Adds the reference to the bounded set of accepted ones; false when it was there already.</summary>
    private bool Remember(string reference)
    {
        lock (accepted)
        {
            if (!accepted.Add(reference))
            {
                return false;
            }

            acceptedOrder.Enqueue(reference);
            while (acceptedOrder.Count > Math.Max(1, options.RememberedReferences))
            {
                accepted.Remove(acceptedOrder.Dequeue());
            }

            return true;
        }
    }

    private void Schedule(CarrierReceipt receipt)
    {
        var id = Interlocked.Increment(ref nextReceipt);
        var task = Task.Run(() => ReportReceiptAsync(receipt, stopping.Token), CancellationToken.None);
        pending[id] = task;
        _ = task.ContinueWith((_, state) => pending.TryRemove((long)state!, out Task? _), id, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Reports the receipt after the latency, in-process or over HTTP, retrying as a carrier
    /// does while the outcome could change (a store that is down; for HTTP, connection failures,
    /// 5xx, 408, 429). Never throws.</summary>
    private async Task ReportReceiptAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
    {
        try
        {
            if (options.ReceiptLatency > TimeSpan.Zero)
            {
                await Task.Delay(options.ReceiptLatency, time, cancellationToken);
            }

            receipt = receipt with { OccurredAt = time.GetUtcNow() };
            var problem = receiptUrl is { } url
                ? await PostReceiptAsync(receipt, url, cancellationToken)
                : await ApplyReceiptAsync(receipt, cancellationToken);
            if (problem is not null)
            {
                LogReceiptNotDelivered(logger, receipt.Status, receipt.Reference, problem);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the receipt is dropped, as it would be by a carrier we stop listening to.
        }
        catch (Exception exception)
        {
            LogReceiptFailed(logger, exception, receipt.Status, receipt.Reference);
        }
    }

    /// <summary>Hands the receipt to the receipt port; null when it was taken (applied or not), else
    /// the last problem after the retries.</summary>
    private async Task<string?> ApplyReceiptAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            string problem;
            try
            {
                await receipts.ApplyAsync(receipt, cancellationToken);
                return null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                problem = exception.GetType().Name;
            }

            if (attempt >= ReceiptRetryDelays.Length)
            {
                return problem;
            }

            await Task.Delay(ReceiptRetryDelays[attempt], time, cancellationToken);
        }
    }

    /// <summary>Posts the signed receipt to <paramref name="url"/>; null when it was answered 2xx,
    /// else the last problem after the retries.</summary>
    private async Task<string?> PostReceiptAsync(CarrierReceipt receipt, Uri url, CancellationToken cancellationToken)
    {
        var body = receipt.ToJson();
        var client = clients.CreateClient(HttpClientName);
        for (var attempt = 0; ; attempt++)
        {
            string problem;
            var (timestamp, signature) = signer.Sign(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(CarrierReceiptSigner.TimestampHeader, timestamp);
            request.Headers.Add(CarrierReceiptSigner.SignatureHeader, signature);
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return null;
                }

                problem = $"HTTP {(int)response.StatusCode} from {url}";
                if (!IsRetryable(response.StatusCode))
                {
                    return problem;
                }
            }
            catch (HttpRequestException exception)
            {
                problem = $"{exception.Message} ({url})";
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                problem = $"timed out ({url})";
            }

            if (attempt >= ReceiptRetryDelays.Length)
            {
                return problem;
            }

            await Task.Delay(ReceiptRetryDelays[attempt], time, cancellationToken);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The configured receipt URL; null (receipts stay in-process) when none is set. An
    /// invalid one never gets this far: the options are validated at start.</summary>
    internal static Uri? ResolveReceiptUrl(string? configured) =>
        !string.IsNullOrWhiteSpace(configured) && Uri.TryCreate(configured, UriKind.Absolute, out var url) ? url : null;

    // Per-submission and per-receipt lines: source-generated, and never a phone number or text.
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Simulator: {Reference} resubmitted, no second receipt")]
    private static partial void LogResubmitted(ILogger logger, string reference);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Simulator: receipt {Status} for {Reference} not delivered: {Problem}")]
    private static partial void LogReceiptNotDelivered(ILogger logger, string status, string reference, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Simulator: receipt {Status} for {Reference} failed")]
    private static partial void LogReceiptFailed(ILogger logger, Exception exception, string status, string reference);
}
