using AgentMessage.Core.Access;
using AgentMessage.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>send_at, validity_period_seconds and CancelMessage on the native gRPC face, with
/// dispatch off so that messages wait.</summary>
public sealed class ScheduleAndCancelGrpcTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    private readonly TestServer server = fixture.Server;

    private static Metadata Dev => TestServer.Bearer(TestServer.DevKey);

    [Fact]
    public async Task ScheduledSend_IsScheduledWithSendAtAndValidUntil()
    {
        var sendAt = new Timestamp { Seconds = DateTimeOffset.UtcNow.AddHours(3).ToUnixTimeSeconds() };
        var request = Requests.Valid();
        request.SendAt = sendAt;
        request.ValidityPeriodSeconds = 120;

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(MessageStatus.Scheduled, response.Message.Status);
        Assert.Equal(sendAt, response.Message.SendAt);
        Assert.Equal(new Timestamp { Seconds = sendAt.Seconds + 120 }, response.Message.ValidUntil);
    }

    [Fact]
    public async Task ImmediateSend_HasNoSendAt()
    {
        var response = await server.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);

        Assert.Equal(MessageStatus.Queued, response.Message.Status);
        Assert.Null(response.Message.SendAt);
        Assert.Equal(response.Message.CreatedAt.ToDateTimeOffset().AddHours(4), response.Message.ValidUntil.ToDateTimeOffset());
    }

    [Fact]
    public async Task BadSendAtAndValidity_AreInvalidArgumentNamingBothFields()
    {
        var request = Requests.Valid();
        request.SendAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(8));
        request.ValidityPeriodSeconds = 0;

        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct));

        AssertError(error, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        var violations = Violations(error);
        Assert.Equal("must be at most 7 days ahead", violations["send_at"]);
        Assert.Equal("must be 1..14400", violations["validity_period_seconds"]);
    }

    [Fact]
    public async Task SendAtInThePast_IsInvalidArgument()
    {
        var request = Requests.Valid();
        request.SendAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct));

        Assert.Equal("must be in the future", Violations(error)["send_at"]);
    }

    [Fact]
    public async Task SendAtOutsideWhatATimestampHolds_IsInvalidArgument()
    {
        var request = Requests.Valid();
        request.SendAt = new Timestamp { Seconds = long.MaxValue };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct));

        Assert.Equal("must be in the future", Violations(error)["send_at"]);
    }

    [Fact]
    public async Task CancelQueued_ReturnsTheCanceledMessage_FoundByTheCanceledFilter()
    {
        var tag = Requests.UniqueTag("grpc-cancel");
        var sent = await server.Messaging.SendMessageAsync(Requests.Valid(tag), Dev, cancellationToken: Ct);

        var canceled = await server.Messaging.CancelMessageAsync(new CancelMessageRequest { Id = sent.Message.Id }, Dev, cancellationToken: Ct);

        Assert.Equal(sent.Message.Id, canceled.Message.Id);
        Assert.Equal(MessageStatus.Canceled, canceled.Message.Status);
        var fetched = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = sent.Message.Id }, Dev, cancellationToken: Ct);
        Assert.Equal(canceled.Message, fetched.Message);
        var listed = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag, Status = MessageStatus.Canceled }, Dev, cancellationToken: Ct);
        Assert.Equal([sent.Message.Id], listed.Messages.Select(m => m.Id));
    }

    [Fact]
    public async Task ListMessages_UnknownStatus_NamesEveryStatusAFilterAccepts()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Status = (MessageStatus)99 }, Dev, cancellationToken: Ct));

        Assert.Equal("must be one of: queued, sending, sent, delivered, undelivered, failed, scheduled, canceled, received", Violations(error)["status"]);
    }

    [Fact]
    public async Task CancelUnknown_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.CancelMessageAsync(new CancelMessageRequest { Id = Guid.NewGuid().ToString("D") }, Dev, cancellationToken: Ct));

        AssertError(error, StatusCode.NotFound, "NOT_FOUND", "message not found");
    }

    [Fact]
    public async Task CancelWithAReadOnlyKey_IsPermissionDenied()
    {
        var sent = await server.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.CancelMessageAsync(new CancelMessageRequest { Id = sent.Message.Id }, TestServer.Bearer(readOnly), cancellationToken: Ct));

        AssertError(error, StatusCode.PermissionDenied, "FORBIDDEN", null);
    }
}
