using AgentMessage.V1;
using Google.Rpc;
using Grpc.Core;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>The idempotency-key metadata on the native face: the same rules as the REST header.</summary>
public sealed class IdempotencyGrpcTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task SendMessage_RepeatedWithSameKey_ReplaysWithReplayedMetadata()
    {
        var key = Guid.NewGuid().ToString();

        var first = server.Messaging.SendMessageAsync(Request("hi"), Keyed(key), cancellationToken: TestContext.Current.CancellationToken);
        var original = (await first).Message;
        var again = server.Messaging.SendMessageAsync(Request("hi"), Keyed(key), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(original, (await again).Message);
        Assert.Null((await first.ResponseHeadersAsync).GetValue("idempotent-replayed"));
        Assert.Equal("true", (await again.ResponseHeadersAsync).GetValue("idempotent-replayed"));
    }

    [Fact]
    public async Task SendMessage_SameKeyOverRestAndGrpc_IsOneRequest()
    {
        var key = Guid.NewGuid().ToString();
        var rest = RestRequests.Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, """{"from":"+15551112222","to":"+15554443333","text":"hi"}""");
        rest.Headers.Add("Idempotency-Key", key);
        var (_, restBody) = await server.Rest.CallAsync(rest);

        var grpc = await server.Messaging.SendMessageAsync(Request("hi"), Keyed(key), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((string)restBody["data"]!["id"]!, grpc.Message.Id);
    }

    [Fact]
    public async Task SendMessage_SameKeyDifferentRequest_FailsPreconditionKeyReused()
    {
        var key = Guid.NewGuid().ToString();
        await server.Messaging.SendMessageAsync(Request("first"), Keyed(key), cancellationToken: TestContext.Current.CancellationToken);

        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.SendMessageAsync(Request("second"), Keyed(key), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.FailedPrecondition, exception.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", exception.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
    }

    private static SendMessageRequest Request(string text) => new() { From = "+15551112222", To = "+15554443333", Text = text };

    private static Metadata Keyed(string key)
    {
        var metadata = TestServer.Bearer(TestServer.DevKey);
        metadata.Add("idempotency-key", key);
        return metadata;
    }
}
