using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
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
/// one, posts a signed receipt to the receipt endpoint after <c>ReceiptLatency</c>, through the
/// same signature check a real carrier's receipts pass. What happens depends on the recipient:
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
    private readonly TimeProvider time;
    private readonly ILogger<CarrierSimulator> logger;
    private readonly Lazy<Uri?> receiptUrl;
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationTokenRegistration onStopping;
    private readonly ConcurrentDictionary<long, Task> pending = new();
    private readonly HashSet<string> accepted = new(StringComparer.Ordinal);
    private readonly Queue<string> acceptedOrder = new();
    private long nextReceipt;

    public CarrierSimulator(
        IOptions<CarrierSimulatorOptions> options,
        IConfiguration configuration,
        CarrierReceiptSigner signer,
        IHttpClientFactory clients,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<CarrierSimulator> logger)
    {
        this.options = options.Value;
        this.signer = signer;
        this.clients = clients;
        this.time = time;
        this.logger = logger;
        receiptUrl = new Lazy<Uri?>(() => ResolveReceiptUrl(this.options.ReceiptUrl, configuration));
        onStopping = lifetime.ApplicationStopping.Register(() => stopping.Cancel());
    }

    public static SimulatedOutcome OutcomeFor(string to) => Outcomes.GetValueOrDefault(to, SimulatedOutcome.Delivered);

    public async ValueTask<CarrierSubmission> SubmitAsync(Message message, CancellationToken cancellationToken)
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
            logger.LogDebug("Simulator: {Reference} resubmitted, no second receipt", reference);
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
        var task = Task.Run(() => SendReceiptAsync(receipt, stopping.Token), CancellationToken.None);
        pending[id] = task;
        _ = task.ContinueWith((_, state) => pending.TryRemove((long)state!, out Task? _), id, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Posts the receipt after the latency, retrying, as a carrier does, while the answer is
    /// not 2xx and could change (connection failures, 5xx, 408, 429). Never throws.</summary>
    private async Task SendReceiptAsync(CarrierReceipt receipt, CancellationToken cancellationToken)
    {
        try
        {
            if (options.ReceiptLatency > TimeSpan.Zero)
            {
                await Task.Delay(options.ReceiptLatency, time, cancellationToken);
            }

            if (receiptUrl.Value is not { } url)
            {
                logger.LogError("Simulator: no receipt URL (set {Section}:ReceiptUrl or Kestrel:Endpoints:Rest:Url); receipt {Status} for {Reference} dropped",
                    CarrierSimulatorOptions.Section, receipt.Status, receipt.Reference);
                return;
            }

            var body = (receipt with { OccurredAt = time.GetUtcNow() }).ToJson();
            var client = clients.CreateClient(HttpClientName);
            string? lastProblem = null;
            for (var attempt = 0; ; attempt++)
            {
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
                        return;
                    }

                    lastProblem = $"HTTP {(int)response.StatusCode}";
                    if (!IsRetryable(response.StatusCode))
                    {
                        break;
                    }
                }
                catch (HttpRequestException exception)
                {
                    lastProblem = exception.Message;
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    lastProblem = "timed out";
                }

                if (attempt >= ReceiptRetryDelays.Length)
                {
                    break;
                }

                await Task.Delay(ReceiptRetryDelays[attempt], time, cancellationToken);
            }

            logger.LogWarning("Simulator: receipt {Status} for {Reference} not delivered to {Url}: {Problem}", receipt.Status, receipt.Reference, url, lastProblem);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the receipt is dropped, as it would be by a carrier we stop listening to.
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Simulator: receipt {Status} for {Reference} failed", receipt.Status, receipt.Reference);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The configured URL, or this server's REST listener with the receipt route; a
    /// wildcard listening host (*, +, 0.0.0.0, [::]) is reached on localhost.</summary>
    internal static Uri? ResolveReceiptUrl(string? configured, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Uri.TryCreate(configured, UriKind.Absolute, out var explicitUrl) ? explicitUrl : null;
        }

        var listener = configuration["Kestrel:Endpoints:Rest:Url"];
        if (string.IsNullOrWhiteSpace(listener))
        {
            listener = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        }

        if (string.IsNullOrWhiteSpace(listener) || ListenUrl().Match(listener.Trim()) is not { Success: true } match)
        {
            return null;
        }

        var host = match.Groups["host"].Value switch
        {
            "*" or "+" or "0.0.0.0" or "[::]" => "localhost",
            var named => named,
        };
        var path = match.Groups["path"].Value.TrimEnd('/');
        return Uri.TryCreate($"{match.Groups["scheme"].Value}://{host}{match.Groups["port"].Value}{path}{CarrierReceiptEndpoint.Route}", UriKind.Absolute, out var url) ? url : null;
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[^\]]*\]|[^:/]+)(?<port>:\d+)?(?<path>/.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ListenUrl();
}
