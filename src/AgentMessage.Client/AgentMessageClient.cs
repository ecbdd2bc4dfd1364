using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using AgentMessage.Client.Retries;
using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Client;

/// <summary>
/// The AgentMessage API over gRPC for one organization's API key: every RPC of MessagingService,
/// ConsentService, LookupService and WebhookService as a typed method. Sends and upload slots carry
/// an idempotency key (generated when none is given) that their retries reuse; reads and calls whose
/// effect is the same however often they run are retried after transient failures (see
/// <see cref="AgentMessageRetryOptions"/>); <see cref="StreamStatus"/> reconnects and resumes on its
/// own. Thread-safe; meant to live as long as the application (one HTTP/2 channel). Failures the
/// client does not retry are thrown as <see cref="RpcException"/>, whose <c>grpc-status-details-bin</c>
/// trailer carries the server's <c>google.rpc.Status</c> (ErrorInfo with the error code).
/// </summary>
public sealed class AgentMessageClient : IDisposable
{
    private readonly CallRunner runner;
    private readonly MessagingService.MessagingServiceClient messaging;
    private readonly ConsentService.ConsentServiceClient consents;
    private readonly LookupService.LookupServiceClient lookups;
    private readonly WebhookService.WebhookServiceClient webhooks;

    /// <summary>A client for <paramref name="endpoint"/> with <paramref name="apiKey"/> and the default retry policy.</summary>
    /// <param name="endpoint">The server's gRPC address, e.g. <c>http://localhost:8081</c>.</param>
    /// <param name="apiKey">The organization's API key (<c>am_live_...</c>).</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) address, or the key is empty.</exception>
    public AgentMessageClient(Uri endpoint, string apiKey)
        : this(new AgentMessageClientOptions { Endpoint = endpoint, ApiKey = apiKey })
    {
    }

    /// <summary>A client configured by <paramref name="options"/>.</summary>
    /// <param name="options">The endpoint, API key, retry policy and optional HTTP handler.</param>
    /// <exception cref="ArgumentException">A required setting is missing or malformed.</exception>
    public AgentMessageClient(AgentMessageClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        runner = new CallRunner(options, options.ApiKey!);
        messaging = new MessagingService.MessagingServiceClient(runner.Channel);
        consents = new ConsentService.ConsentServiceClient(runner.Channel);
        lookups = new LookupService.LookupServiceClient(runner.Channel);
        webhooks = new WebhookService.WebhookServiceClient(runner.Channel);
    }

    // Messaging

    /// <summary>
    /// Sends an SMS or MMS (SendMessage). The call carries <paramref name="idempotencyKey"/>, or a new
    /// random one, and every retry of this call carries the same key: a send retried after a lost
    /// answer is answered with the first attempt's message, never stored twice.
    /// </summary>
    /// <param name="request">The message to send.</param>
    /// <param name="idempotencyKey">Your own key (1-255 printable ASCII characters), to deduplicate
    /// across calls or processes as well, e.g. a job id; null: a new key for this call alone.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The accepted message.</returns>
    public Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => messaging.SendMessageAsync(request, o), Repeat.Keyed, cancellationToken, idempotencyKey ?? NewIdempotencyKey());

    /// <summary>
    /// Creates a single-use upload slot for MMS media (CreateMediaUpload), with an idempotency key
    /// as <see cref="SendMessageAsync"/> does, so a retry returns the same slot.
    /// </summary>
    /// <param name="request">The media's type and exact size.</param>
    /// <param name="idempotencyKey">Your own key; null: a new key for this call alone.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The media id and the presigned PUT URL.</returns>
    public Task<CreateMediaUploadResponse> CreateMediaUploadAsync(CreateMediaUploadRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => messaging.CreateMediaUploadAsync(request, o), Repeat.Keyed, cancellationToken, idempotencyKey ?? NewIdempotencyKey());

    /// <summary>Returns one message of the organization (GetMessage). Retried after transient failures.</summary>
    /// <param name="request">The message id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The message.</returns>
    public Task<GetMessageResponse> GetMessageAsync(GetMessageRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => messaging.GetMessageAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>
    /// Cancels a message not yet handed to the carrier (CancelMessage). Retried after transient
    /// failures: cancelling a canceled message answers the same.
    /// </summary>
    /// <param name="request">The message id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The canceled message.</returns>
    public Task<CancelMessageResponse> CancelMessageAsync(CancelMessageRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => messaging.CancelMessageAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Lists the organization's messages, newest first, one page at a time (ListMessages). Retried after transient failures.</summary>
    /// <param name="request">Filters, page size and page token.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>One page and the next page's token (empty on the last page).</returns>
    public Task<ListMessagesResponse> ListMessagesAsync(ListMessagesRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => messaging.ListMessagesAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>
    /// The organization's status events (StreamStatus) as they happen, across reconnections: when the
    /// stream breaks (the server restarting or shutting down, UNAVAILABLE, a reset connection, a
    /// rate-limited stream cap), the client waits (backoff, never shorter than the server's
    /// RetryInfo) and opens it again with <c>after</c> set to the last event id it yielded, so no
    /// event is skipped and none comes twice. Events with an id not after the last one yielded are
    /// dropped. gRPC streams carry no heartbeats, so every item is an event.
    /// </summary>
    /// <remarks>
    /// With <c>message_ids</c> the sequence ends when the server ends the stream (all named messages
    /// terminal); without, it runs until <paramref name="cancellationToken"/> is cancelled. A stream
    /// opened without <c>after</c> starts at the newest event: events between the first opening and
    /// the first event received cannot be resumed if it breaks before any event arrives, so pass
    /// <c>after</c> when every event counts. Errors that reconnecting cannot cure (UNAUTHENTICATED,
    /// NOT_FOUND, INVALID_ARGUMENT such as an <c>after</c> older than the retained log) and running
    /// out of <see cref="AgentMessageRetryOptions.MaxStreamReconnects"/> are thrown as
    /// <see cref="RpcException"/>.
    /// </remarks>
    /// <param name="request">Filters and the event id to resume after; not modified.</param>
    /// <param name="cancellationToken">Ends the stream (as <see cref="OperationCanceledException"/>).</param>
    /// <returns>The events, in the organization's log order.</returns>
    public async IAsyncEnumerable<StatusEvent> StreamStatus(StreamStatusRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resume = request.Clone();
        var ends = request.MessageIds.Count > 0;
        var last = string.IsNullOrEmpty(request.After) ? null : request.After;
        for (var failures = 0; ; )
        {
            if (last is not null)
            {
                resume.After = last;
            }

            RpcException? error = null;
            using (var call = messaging.StreamStatus(resume, runner.Options(cancellationToken)))
            {
                while (true)
                {
                    try
                    {
                        if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (RpcException exception) when (exception.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException("The status stream was cancelled.", exception, cancellationToken);
                    }
                    catch (RpcException exception)
                    {
                        error = exception;
                        break;
                    }

                    if (call.ResponseStream.Current.Event is not { } statusEvent
                        || (last is not null && !EventIds.IsAfter(statusEvent.EventId, last)))
                    {
                        continue;
                    }

                    failures = 0;
                    last = statusEvent.EventId;
                    yield return statusEvent;
                }
            }

            if (error is null && ends)
            {
                yield break;
            }

            failures++;
            var delay = runner.Policy.DelayBeforeReconnect(error, failures);
            if (delay is null)
            {
                ExceptionDispatchInfo.Throw(error ?? new RpcException(new Status(StatusCode.Unavailable, "the status stream kept ending without an event")));
            }

            await Task.Delay(delay.Value, runner.Policy.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    // Consent

    /// <summary>Records that a number opted in (RecordConsent). Retried after transient failures: it replaces the number's record.</summary>
    /// <param name="request">The number, source and time of the opt-in.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The consent record.</returns>
    public Task<RecordConsentResponse> RecordConsentAsync(RecordConsentRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => consents.RecordConsentAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Returns a number's consent record (GetConsent). Retried after transient failures.</summary>
    /// <param name="request">The number.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The consent record.</returns>
    public Task<GetConsentResponse> GetConsentAsync(GetConsentRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => consents.GetConsentAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Lists the organization's consent records (ListConsents). Retried after transient failures.</summary>
    /// <param name="request">Page size and page token.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>One page and the next page's token.</returns>
    public Task<ListConsentsResponse> ListConsentsAsync(ListConsentsRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => consents.ListConsentsAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Records that a number opted out (RevokeConsent). Retried after transient failures: revoking again changes nothing.</summary>
    /// <param name="request">The number.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The consent record, opted out.</returns>
    public Task<RevokeConsentResponse> RevokeConsentAsync(RevokeConsentRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => consents.RevokeConsentAsync(request, o), Repeat.Safe, cancellationToken);

    // Lookup

    /// <summary>Looks up a number's line type and records it (LookupNumber). Retried after transient failures: a new lookup replaces the last.</summary>
    /// <param name="request">The number.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The lookup result.</returns>
    public Task<LookupNumberResponse> LookupNumberAsync(LookupNumberRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => lookups.LookupNumberAsync(request, o), Repeat.Safe, cancellationToken);

    // Webhooks

    /// <summary>Creates a webhook endpoint with a new signing secret (CreateWebhook). Not retried: a retry could create a second endpoint.</summary>
    /// <param name="request">The URL and the event types.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint, with its secret (shown only here and on rotation).</returns>
    public Task<CreateWebhookResponse> CreateWebhookAsync(CreateWebhookRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.CreateWebhookAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Returns one webhook endpoint, without its secret (GetWebhook). Retried after transient failures.</summary>
    /// <param name="request">The endpoint id.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The endpoint.</returns>
    public Task<GetWebhookResponse> GetWebhookAsync(GetWebhookRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.GetWebhookAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Lists the organization's webhook endpoints (ListWebhooks). Retried after transient failures.</summary>
    /// <param name="request">The listing request.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The endpoints, without their secrets.</returns>
    public Task<ListWebhooksResponse> ListWebhooksAsync(ListWebhooksRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.ListWebhooksAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Changes the fields present in the request (UpdateWebhook). Retried after transient failures: setting the same fields again changes nothing.</summary>
    /// <param name="request">The endpoint id and the fields to change.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>The endpoint as changed.</returns>
    public Task<UpdateWebhookResponse> UpdateWebhookAsync(UpdateWebhookRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.UpdateWebhookAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>Deletes a webhook endpoint (DeleteWebhook). Not retried: a retry after a lost answer would report NOT_FOUND for a deletion that happened.</summary>
    /// <param name="request">The endpoint id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The (empty) response.</returns>
    public Task<DeleteWebhookResponse> DeleteWebhookAsync(DeleteWebhookRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.DeleteWebhookAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Replaces an endpoint's signing secret (RotateWebhookSecret). Not retried: a retry would rotate twice.</summary>
    /// <param name="request">The endpoint id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint with its new secret.</returns>
    public Task<RotateWebhookSecretResponse> RotateWebhookSecretAsync(RotateWebhookSecretRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.RotateWebhookSecretAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Queues a <c>webhook.test</c> event for an endpoint (TestWebhook). Not retried: a retry would queue a second event.</summary>
    /// <param name="request">The endpoint id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queued test event.</returns>
    public Task<TestWebhookResponse> TestWebhookAsync(TestWebhookRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.TestWebhookAsync(request, o), Repeat.Never, cancellationToken);

    /// <summary>Lists an endpoint's recent delivery attempts (ListWebhookDeliveries). Retried after transient failures.</summary>
    /// <param name="request">The endpoint id, page size and page token.</param>
    /// <param name="cancellationToken">Cancels the call and any wait between retries.</param>
    /// <returns>One page of attempts, newest first.</returns>
    public Task<ListWebhookDeliveriesResponse> ListWebhookDeliveriesAsync(ListWebhookDeliveriesRequest request, CancellationToken cancellationToken = default) =>
        runner.UnaryAsync(o => webhooks.ListWebhookDeliveriesAsync(request, o), Repeat.Safe, cancellationToken);

    /// <summary>A new idempotency key: 32 hexadecimal characters from a random GUID.</summary>
    /// <returns>The key.</returns>
    public static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");

    /// <summary>Closes the channel (and the HTTP handler it owns).</summary>
    public void Dispose() => runner.Dispose();
}
