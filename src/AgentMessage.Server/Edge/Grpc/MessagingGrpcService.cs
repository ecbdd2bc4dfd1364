using AgentMessage.Core.Delivery;
using AgentMessage.Core.Media;
using AgentMessage.Core.Messaging;
using AgentMessage.Core.RateLimiting;
using AgentMessage.Server.Edge.Rest;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>agentmessage.v1.MessagingService: maps the contract onto <see cref="MessageService"/>.
/// Authentication, scopes and error translation happen in <see cref="ApiCallInterceptor"/>; refusals
/// a service returns rather than throws end the call through <see cref="CallRefusal"/>.</summary>
[BindServiceMethod(typeof(MessagingServiceBinding), nameof(MessagingServiceBinding.BindService))]
public sealed class MessagingGrpcService(MessageService messages, MediaService media, StatusStreamService statuses, IOptions<StreamOptions> streamOptions, TimeProvider time) : MessagingService.MessagingServiceBase
{
    public override async Task<SendMessageResponse> SendMessage(SendMessageRequest request, ServerCallContext context)
    {
        var outcome = await messages.SendAsync(context.GetCaller(), ProtoMapping.ToCommand(request), IdempotencyKey(context), context.CancellationToken);
        if (!outcome.TryGetValue(out var result, out var refusal))
        {
            return context.Refuse<SendMessageResponse>(refusal);
        }

        ReportOutcome(context, result.RateLimit, result.Replayed);
        return new SendMessageResponse { Message = ProtoMapping.ToProto(result.Message) };
    }

    public override async Task<CreateMediaUploadResponse> CreateMediaUpload(CreateMediaUploadRequest request, ServerCallContext context)
    {
        var outcome = await media.CreateUploadAsync(context.GetCaller(), request.MimeType, request.ByteSize, IdempotencyKey(context), context.CancellationToken);
        if (!outcome.TryGetValue(out var result, out var refusal))
        {
            return context.Refuse<CreateMediaUploadResponse>(refusal);
        }

        ReportOutcome(context, result.RateLimit, result.Replayed);
        var upload = result.Upload;
        var response = new CreateMediaUploadResponse
        {
            MediaId = upload.MediaId,
            UploadUrl = upload.UploadUrl,
            ExpiresAt = Timestamp.FromDateTimeOffset(upload.ExpiresAt),
            MaxByteSize = upload.MaxByteSize,
        };
        foreach (var (name, value) in upload.UploadHeaders)
        {
            response.UploadHeaders[name] = value;
        }

        return response;
    }

    public override async Task<GetMessageResponse> GetMessage(GetMessageRequest request, ServerCallContext context)
    {
        var message = await messages.GetAsync(context.GetCaller(), request.Id, context.CancellationToken);
        return new GetMessageResponse { Message = ProtoMapping.ToProto(message) };
    }

    public override async Task<CancelMessageResponse> CancelMessage(CancelMessageRequest request, ServerCallContext context)
    {
        var message = await messages.CancelAsync(context.GetCaller(), request.Id, context.CancellationToken);
        return new CancelMessageResponse { Message = ProtoMapping.ToProto(message) };
    }

    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        var page = await messages.ListAsync(context.GetCaller(), ProtoMapping.ToQuery(request), context.CancellationToken);
        var response = new ListMessagesResponse { NextPageToken = page.NextPageToken ?? string.Empty };
        response.Messages.AddRange(page.Messages.Select(ProtoMapping.ToProto));
        return response;
    }

    private static string? IdempotencyKey(ServerCallContext context) =>
        context.GetHttpContext().Request.Headers[IdempotencyHeader.Name] is { Count: > 0 } values ? values.ToString() : null;

    /// <summary>RateLimit-* for a call that took a token; Idempotent-Replayed for a replay, which took none.</summary>
    private static void ReportOutcome(ServerCallContext context, RateLimitDecision? rateLimit, bool replayed)
    {
        if (rateLimit is { } decision)
        {
            context.SetRateLimitHeaders(decision);
        }

        if (replayed)
        {
            context.GetHttpContext().Response.Headers[IdempotencyHeader.Replayed] = "true";
        }
    }

    public override async Task StreamStatus(StreamStatusRequest request, IServerStreamWriter<StreamStatusResponse> responseStream, ServerCallContext context)
    {
        var query = new StatusStreamQuery([.. request.MessageIds], request.HasTag ? request.Tag : null, request.After.Length > 0 ? request.After : null, ProtoMapping.ToDomain(request.Direction));

        if (StatusResponses.IsTranscoded(context))
        {
            await StreamRestAsync(statuses.StreamAsync(context.GetCaller(), query, () => AnnounceRestAsync(context), context.CancellationToken), responseStream, context);
            return;
        }

        // The response headers announce the stream once it is subscribed.
        var events = statuses.StreamAsync(context.GetCaller(), query, () => context.WriteResponseHeadersAsync([]), context.CancellationToken);

        // Several events ready at once go out with one flush on gRPC (where HTTP/2 keepalive pings,
        // not heartbeat messages, keep an idle stream's connection alive).
        await foreach (var item in events)
        {
            responseStream.WriteOptions = item.MoreReady ? StatusResponses.Buffered : null;
            await responseStream.WriteAsync(StatusResponses.For(item), context.CancellationToken);
        }
    }

    /// <summary>
    /// Sends a REST stream's status and headers once it is subscribed. Transcoding's own header
    /// write only flushes its pipe, which has nothing in it yet; flushing the response body (the
    /// REST facade's stream) sends them.
    /// </summary>
    private static async Task AnnounceRestAsync(ServerCallContext context)
    {
        await context.WriteResponseHeadersAsync([]);
        await context.GetHttpContext().Response.Body.FlushAsync(context.CancellationToken);
    }

    /// <summary>
    /// A REST stream: every event a flushed line (JSON transcoding has no write options), and a
    /// heartbeat line every <see cref="StreamOptions.HeartbeatInterval"/>, written between events
    /// while the stream waits for the next one, so that a proxy never sees it idle for long.
    /// </summary>
    private async Task StreamRestAsync(IAsyncEnumerable<StreamedEvent> events, IServerStreamWriter<StreamStatusResponse> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        using var heartbeat = new PeriodicTimer(streamOptions.Value.HeartbeatInterval, time);
        Task<bool>? tick = null;
        await using var items = events.GetAsyncEnumerator(context.CancellationToken);
        while (true)
        {
            var next = items.MoveNextAsync();
            if (!next.IsCompleted)
            {
                var waiting = next.AsTask();
                while (true)
                {
                    tick ??= heartbeat.WaitForNextTickAsync(context.CancellationToken).AsTask();

                    // A tick that did not come (the client left) leaves the stream to end by itself.
                    if (await Task.WhenAny(waiting, tick) == waiting || !tick.IsCompletedSuccessfully)
                    {
                        break;
                    }

                    tick = null;
                    if (http.Response.Body is StreamingCapture capture)
                    {
                        try
                        {
                            await capture.WriteHeartbeatAsync(time.GetUtcNow(), context.CancellationToken);
                        }
                        catch
                        {
                            // The stream must not be disposed while it is still being read.
                            await ((Task)waiting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                            throw;
                        }
                    }
                }

                next = new ValueTask<bool>(waiting);
            }

            if (!await next)
            {
                return;
            }

            await responseStream.WriteAsync(StatusResponses.For(items.Current), context.CancellationToken);
        }
    }
}
