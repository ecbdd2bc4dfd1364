using AgentMessage.Server.Errors;
using AgentMessage.Server.Messaging;
using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Server.Api;

/// <summary>The idempotency headers (gRPC: the same names as metadata).</summary>
public static class IdempotencyHeader
{
    public const string Name = "Idempotency-Key";
    public const string Replayed = "Idempotent-Replayed";
}

/// <summary>agentmessage.v1.MessagingService: maps the contract onto <see cref="MessageService"/>.
/// Authentication, scopes and error translation happen in <see cref="ApiCallInterceptor"/>.</summary>
public sealed class MessagingGrpcService(MessageService messages) : MessagingService.MessagingServiceBase
{
    public override async Task<SendMessageResponse> SendMessage(SendMessageRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var key = http.Request.Headers[IdempotencyHeader.Name] is { Count: > 0 } values ? values.ToString() : null;
        var result = await messages.SendAsync(context.GetCaller(), ProtoMapping.ToCommand(request), key, context.CancellationToken);
        if (result.RateLimit is { } decision)
        {
            context.SetRateLimitHeaders(decision);
        }

        if (result.Replayed)
        {
            http.Response.Headers[IdempotencyHeader.Replayed] = "true";
        }

        return new SendMessageResponse { Message = ProtoMapping.ToProto(result.Message) };
    }

    public override Task<CreateMediaUploadResponse> CreateMediaUpload(CreateMediaUploadRequest request, ServerCallContext context) =>
        throw new ApiException(ErrorCode.Unimplemented, "media uploads are not available yet");

    public override async Task<GetMessageResponse> GetMessage(GetMessageRequest request, ServerCallContext context)
    {
        var message = await messages.GetAsync(context.GetCaller(), request.Id, context.CancellationToken);
        return new GetMessageResponse { Message = ProtoMapping.ToProto(message) };
    }

    public override async Task<ListMessagesResponse> ListMessages(ListMessagesRequest request, ServerCallContext context)
    {
        var page = await messages.ListAsync(context.GetCaller(), ProtoMapping.ToQuery(request), context.CancellationToken);
        var response = new ListMessagesResponse { NextPageToken = page.NextPageToken ?? string.Empty };
        response.Messages.AddRange(page.Messages.Select(ProtoMapping.ToProto));
        return response;
    }

    public override Task StreamStatus(StreamStatusRequest request, IServerStreamWriter<StreamStatusResponse> responseStream, ServerCallContext context) =>
        throw new ApiException(ErrorCode.Unimplemented, "status streaming is not available yet");
}
