using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// What grpcurl relies on (docs/API.md section 1): server reflection lists and describes the
/// services without proto files, and grpc.health.v1 answers. Both are public: no API key is sent.
/// </summary>
public sealed class ReflectionTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    private const string MessagingServiceName = "agentmessage.v1.MessagingService";

    private readonly TestServer server = fixture.Server;

    [Fact]
    public async Task ListServices_IncludesMessagingHealthAndReflection()
    {
        var response = await ReflectAsync(new ServerReflectionRequest { ListServices = string.Empty });

        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.ListServicesResponse, response.MessageResponseCase);
        var names = response.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains(MessagingServiceName, names);
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", names);
    }

    [Fact]
    public async Task DescribeMessagingService_HasTheContractsMethods()
    {
        var files = await FilesContainingSymbolAsync(MessagingServiceName);

        var service = files.SelectMany(f => f.Services).Single(s => s.FullName == MessagingServiceName);
        Assert.Equal(
            new[] { "SendMessage", "CreateMediaUpload", "GetMessage", "CancelMessage", "ListMessages", "StreamStatus" },
            service.Methods.Select(m => m.Name));

        var streamStatus = service.FindMethodByName("StreamStatus");
        Assert.True(streamStatus.IsServerStreaming);
        Assert.False(streamStatus.IsClientStreaming);
        Assert.All(
            service.Methods.Where(m => m.Name != "StreamStatus"),
            m => Assert.False(m.IsServerStreaming || m.IsClientStreaming, $"{m.Name} should be unary"));

        var send = service.FindMethodByName("SendMessage");
        Assert.Equal("agentmessage.v1.SendMessageRequest", send.InputType.FullName);
        Assert.Equal("agentmessage.v1.SendMessageResponse", send.OutputType.FullName);
        Assert.Equal(
            new[] { "from", "to", "text", "media", "priority", "tag", "send_at", "validity_period_seconds", "in_reply_to" },
            send.InputType.Fields.InFieldNumberOrder().Select(f => f.Name));
        Assert.True(send.InputType.FindFieldByName("in_reply_to").HasPresence);
        Assert.True(send.InputType.FindFieldByName("media").IsRepeated);
        Assert.Equal("agentmessage.v1.Priority", send.InputType.FindFieldByName("priority").EnumType.FullName);
        Assert.True(send.InputType.FindFieldByName("tag").HasPresence);
        Assert.True(send.InputType.FindFieldByName("validity_period_seconds").HasPresence);
        Assert.Equal("google.protobuf.Timestamp", send.InputType.FindFieldByName("send_at").MessageType.FullName);

        var cancel = service.FindMethodByName("CancelMessage");
        Assert.Equal("agentmessage.v1.CancelMessageRequest", cancel.InputType.FullName);
        Assert.Equal("agentmessage.v1.CancelMessageResponse", cancel.OutputType.FullName);
    }

    [Fact]
    public async Task DescribeMessagingService_ReflectedDescriptorMatchesCompiledContract()
    {
        var files = await FilesContainingSymbolAsync(MessagingServiceName);

        var reflected = files.Single(f => f.Services.Any(s => s.FullName == MessagingServiceName));
        Assert.Equal("agentmessage/v1/messaging_service.proto", reflected.Name);
        Assert.Equal(
            V1.MessagingServiceReflection.Descriptor.SerializedData,
            reflected.SerializedData);
    }

    [Fact]
    public async Task HealthCheck_OverallServer_IsServing()
    {
        var health = new Health.HealthClient(server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: Ct);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    /// <summary>One request on the reflection stream, as grpcurl sends it.</summary>
    private async Task<ServerReflectionResponse> ReflectAsync(ServerReflectionRequest request)
    {
        var responses = await ReflectAllAsync([request]);
        return Assert.Single(responses);
    }

    private async Task<List<ServerReflectionResponse>> ReflectAllAsync(IReadOnlyList<ServerReflectionRequest> requests)
    {
        var client = new ServerReflection.ServerReflectionClient(server.Channel);
        using var call = client.ServerReflectionInfo(cancellationToken: Ct);
        foreach (var request in requests)
        {
            await call.RequestStream.WriteAsync(request, Ct);
        }

        await call.RequestStream.CompleteAsync();
        var responses = new List<ServerReflectionResponse>();
        while (await call.ResponseStream.MoveNext(Ct))
        {
            Assert.NotEqual(ServerReflectionResponse.MessageResponseOneofCase.ErrorResponse, call.ResponseStream.Current.MessageResponseCase);
            responses.Add(call.ResponseStream.Current);
        }

        return responses;
    }

    /// <summary>
    /// The file that defines <paramref name="symbol"/> and every file it depends on, built into
    /// descriptors: dependencies the first answer left out are asked for by name, and the files are
    /// built dependencies first, as <see cref="FileDescriptor.BuildFromByteStrings(IEnumerable{ByteString})"/> requires.
    /// </summary>
    private async Task<IReadOnlyList<FileDescriptor>> FilesContainingSymbolAsync(string symbol)
    {
        var protos = new Dictionary<string, (FileDescriptorProto Proto, ByteString Bytes)>(StringComparer.Ordinal);
        void Collect(ServerReflectionResponse response)
        {
            Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, response.MessageResponseCase);
            foreach (var bytes in response.FileDescriptorResponse.FileDescriptorProto)
            {
                var proto = FileDescriptorProto.Parser.ParseFrom(bytes);
                protos.TryAdd(proto.Name, (proto, bytes));
            }
        }

        Collect(await ReflectAsync(new ServerReflectionRequest { FileContainingSymbol = symbol }));
        while (protos.Values.SelectMany(p => p.Proto.Dependency).Where(d => !protos.ContainsKey(d)).Distinct().ToList() is { Count: > 0 } missing)
        {
            foreach (var response in await ReflectAllAsync([.. missing.Select(name => new ServerReflectionRequest { FileByFilename = name })]))
            {
                Collect(response);
            }
        }

        var ordered = new List<ByteString>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string name)
        {
            if (!done.Add(name))
            {
                return;
            }

            foreach (var dependency in protos[name].Proto.Dependency)
            {
                Visit(dependency);
            }

            ordered.Add(protos[name].Bytes);
        }

        foreach (var name in protos.Keys.Order(StringComparer.Ordinal))
        {
            Visit(name);
        }

        return FileDescriptor.BuildFromByteStrings(ordered);
    }
}
