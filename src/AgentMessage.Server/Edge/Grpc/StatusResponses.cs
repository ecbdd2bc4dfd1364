using System.Runtime.CompilerServices;
using AgentMessage.V1;
using Google.Protobuf;
using Grpc.Core;
using DomainStatusEvent = AgentMessage.Core.Delivery.StatusEvent;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// StreamStatus responses: how a status event goes on the wire. A live event goes to every stream
/// that watches it; <see cref="CreateShared"/> makes its response once and serializes it once, and
/// <see cref="Marshaller"/> (bound to StreamStatus by <see cref="MessagingServiceBinding"/>) writes
/// those bytes to each stream instead of serializing the same message again per stream.
/// </summary>
public static class StatusResponses
{
    private static readonly ConditionalWeakTable<StreamStatusResponse, byte[]> Serialized = new();

    /// <summary>Write without flushing: the stream's next write follows at once and flushes both.</summary>
    public static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>The generated marshaller's format, reusing the bytes of shared responses.</summary>
    public static readonly Marshaller<StreamStatusResponse> Marshaller = Marshallers.Create(
        Serialize,
        context => StreamStatusResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>True for a REST call served through JSON transcoding rather than native gRPC.</summary>
    public static bool IsTranscoded(ServerCallContext context) => GrpcRequest.IsTranscoded(context.GetHttpContext());

    /// <summary>The response for one streamed event: a live event's shared response (mapped and
    /// serialized once for all streams, never changed), else a new one.</summary>
    public static StreamStatusResponse For(Core.Delivery.StreamedEvent item) =>
        item.Shared?.Encoded(CreateShared) ?? Create(item.Event);

    public static StreamStatusResponse Create(DomainStatusEvent statusEvent) =>
        new() { Event = ProtoMapping.ToProto(statusEvent) };

    /// <summary>A response for many streams, serialized now; it must never be changed afterwards.</summary>
    public static StreamStatusResponse CreateShared(DomainStatusEvent statusEvent)
    {
        var response = Create(statusEvent);
        Serialized.Add(response, response.ToByteArray());
        return response;
    }

    private static void Serialize(StreamStatusResponse response, SerializationContext context)
    {
        if (Serialized.TryGetValue(response, out var bytes))
        {
            context.Complete(bytes);
            return;
        }

        context.SetPayloadLength(response.CalculateSize());
        response.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
