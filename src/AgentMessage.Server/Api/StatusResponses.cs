using AgentMessage.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace AgentMessage.Server.Api;

/// <summary>StreamStatus responses: how a status event goes on the wire.</summary>
public static class StatusResponses
{
    /// <summary>Write without flushing: the stream's next write follows at once and flushes both.</summary>
    public static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>True for a REST call served through JSON transcoding rather than native gRPC.</summary>
    public static bool IsTranscoded(ServerCallContext context) =>
        context.GetHttpContext().GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null;

    public static StreamStatusResponse Create(Delivery.StatusEvent statusEvent) =>
        new() { Event = ProtoMapping.ToProto(statusEvent) };
}
