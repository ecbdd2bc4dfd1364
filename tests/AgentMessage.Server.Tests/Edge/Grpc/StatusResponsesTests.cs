using System.Buffers;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Edge.Grpc;
using AgentMessage.V1;
using Google.Protobuf;
using Grpc.Core;
using DomainEvent = AgentMessage.Core.Delivery.StatusEvent;

namespace AgentMessage.Server.Tests.Edge.Grpc;

public sealed class StatusResponsesTests
{
    private static readonly DomainEvent Undelivered = new(
        "1795462909318-7", "org_x", "8f3a2b1c-0000-4000-8000-000000000001", DeliveryStatus.Undelivered, "unreachable",
        DateTimeOffset.Parse("2026-04-26T12:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture), "order-7421");

    [Fact]
    public void Marshaller_SharedResponse_WritesTheSameBytesAsProtobufAndParsesBackToTheSameMessage()
    {
        var shared = StatusResponses.CreateShared(Undelivered);

        var bytes = Serialize(shared);
        var parsed = StreamStatusResponse.Parser.ParseFrom(bytes);

        Assert.Equal(StatusResponses.Create(Undelivered).ToByteArray(), bytes);
        Assert.Equal(StatusResponses.Create(Undelivered), parsed);
        Assert.Equal(MessageStatus.Undelivered, parsed.Event.Status);
        Assert.Equal("order-7421", parsed.Event.Tag);
    }

    [Fact]
    public void Marshaller_UnsharedResponse_IsSerializedAsItIs()
    {
        var response = StatusResponses.Create(Undelivered with { Tag = null, ErrorCode = null });

        var parsed = StreamStatusResponse.Parser.ParseFrom(Serialize(response));

        Assert.Equal(response, parsed);
        Assert.False(parsed.Event.HasTag);
    }

    /// <summary>Runs the marshaller the way grpc-dotnet does, through a serialization context.</summary>
    private static byte[] Serialize(StreamStatusResponse response)
    {
        var context = new BufferContext();
        StatusResponses.Marshaller.ContextualSerializer(response, context);
        return context.Payload ?? throw new InvalidOperationException("the serializer did not complete");
    }

    private sealed class BufferContext : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> buffer = new();

        public byte[]? Payload { get; private set; }

        public override void Complete(byte[] payload) => Payload = payload;

        public override void SetPayloadLength(int payloadLength)
        {
        }

        public override IBufferWriter<byte> GetBufferWriter() => buffer;

        public override void Complete() => Payload = buffer.WrittenSpan.ToArray();
    }
}
