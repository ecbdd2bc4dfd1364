using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Infrastructure;

/// <summary>
/// Scheduled sends, cancels and validity periods through the public API with the delivery pipeline
/// running, against each store (see the subclasses). Time passes by moving the server's clock.
/// </summary>
public abstract class ScheduledDeliveryFlowTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts a server on the store under test with <paramref name="settings"/> and <paramref name="clock"/>.</summary>
    protected abstract Task<TestServer> StartAsync(ShiftedTimeProvider clock, IDictionary<string, string> settings);

    [Fact]
    public async Task ScheduledSend_IsNotSubmittedBeforeSendAt_AndIsDeliveredAfter()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartDeliveringAsync(clock);
        var sendAt = clock.GetUtcNow().AddHours(1);

        var (response, body) = await server.SendRawAsync(ScheduleRequests.SendBody(sendAt));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var scheduled = body["data"]!;
        var id = (string)scheduled["id"]!;
        Assert.Equal("scheduled", (string)scheduled["status"]!);
        Assert.Equal(Millis(sendAt), Instant(scheduled["send_at"]));
        Assert.Equal(Millis(sendAt).AddHours(4), Instant(scheduled["valid_until"]));

        // A message sent after it, at once, is delivered: the dispatcher has run and passed it by.
        var immediate = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(immediate, "delivered");
        Assert.Equal("scheduled", await server.StatusAsync(id));

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        var delivered = await server.WaitForStatusAsync(id, "delivered");
        Assert.Null(delivered["error_code"]);
    }

    [Fact]
    public async Task CanceledScheduledMessage_IsNeverSubmitted()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartDeliveringAsync(clock);
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody(clock.GetUtcNow().AddMinutes(10))))["id"]!;

        var (response, body) = await server.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("canceled", (string)body["data"]!["status"]!);
        clock.Advance(TimeSpan.FromHours(1));
        var later = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(later, "delivered");
        var canceled = await server.GetMessageAsync(id);
        Assert.Equal("canceled", (string)canceled["status"]!);
        Assert.Null(canceled["error_code"]);
    }

    [Fact]
    public async Task CancelQueued_AnswersTheCanceledMessage_AndListsItAsCanceled()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartAsync(clock, new Dictionary<string, string> { ["AgentMessage:Delivery:Workers"] = "0" });
        var tag = $"cancel-{Guid.NewGuid():N}";
        var sent = await server.SendAcceptedAsync(ScheduleRequests.SendBody(tag: tag));
        var id = (string)sent["id"]!;
        Assert.Equal("queued", (string)sent["status"]!);

        var (response, body) = await server.CancelAsync(id, withBody: false);
        var (again, againBody) = await server.CancelAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var canceled = body["data"]!;
        Assert.Equal(id, (string)canceled["id"]!);
        Assert.Equal("canceled", (string)canceled["status"]!);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        AssertJsonEqual(canceled, againBody["data"]!);
        AssertJsonEqual(canceled, await server.GetMessageAsync(id));

        var (list, listBody) = await server.Rest.CallAsync(Get($"/v1/messages?status=canceled&tag={tag}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal([id], listBody["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!));
        var (queued, queuedBody) = await server.Rest.CallAsync(Get($"/v1/messages?status=queued&tag={tag}", TestServer.DevKey));
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        Assert.Empty(queuedBody["data"]!["messages"]!.AsArray());
    }

    [Fact]
    public async Task CancelDelivered_Is409MessageNotCancelable_OnBothFaces()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartDeliveringAsync(clock);
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(id, "delivered");

        var (response, body) = await server.CancelAsync(id);
        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.CancelMessageAsync(new CancelMessageRequest { Id = id }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "MESSAGE_NOT_CANCELABLE", "message is delivered and can no longer be canceled"), body);
        AssertError(grpc, StatusCode.FailedPrecondition, "MESSAGE_NOT_CANCELABLE", "message is delivered and can no longer be canceled");
        Assert.Equal("delivered", await server.StatusAsync(id));
    }

    [Fact]
    public async Task CancelSent_Is409NamingSent()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartDeliveringAsync(clock, ("AgentMessage:Carrier:Simulator:ReceiptLatency", "00:10:00"));
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(id, "sent");

        var (response, body) = await server.CancelAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "MESSAGE_NOT_CANCELABLE", "message is sent and can no longer be canceled"), body);
        Assert.Equal("sent", await server.StatusAsync(id));
    }

    [Fact]
    public async Task CancelSending_Is409NamingSending()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartDeliveringAsync(clock, ("AgentMessage:Carrier:Simulator:SubmitLatency", "00:10:00"));
        var id = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(id, "sending");

        var (response, body) = await server.CancelAsync(id);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "MESSAGE_NOT_CANCELABLE", "message is sending and can no longer be canceled"), body);
    }

    [Fact]
    public async Task ShortValidity_OnASlowlyPacedSender_FailsExpiredInQueue()
    {
        var clock = new ShiftedTimeProvider();

        // One message per 1000 seconds from the sender: the second waits for the next slot.
        await using var server = await StartDeliveringAsync(clock, ($"AgentMessage:Delivery:NumberPace:{DevSeed.SenderNumber}", "0.001"));
        var first = (string)(await server.SendAcceptedAsync(ScheduleRequests.SendBody()))["id"]!;
        await server.WaitForStatusAsync(first, "delivered");
        var waiting = await server.SendAcceptedAsync(ScheduleRequests.SendBody(validityPeriodSeconds: 60));
        var id = (string)waiting["id"]!;
        Assert.Equal(Instant(waiting["created_at"]).AddSeconds(60), Instant(waiting["valid_until"]));
        Assert.Null(waiting["send_at"]);

        clock.Advance(TimeSpan.FromSeconds(1100));

        var failed = await server.WaitForStatusAsync(id, "failed");
        Assert.Equal("expired_in_queue", (string)failed["error_code"]!);
    }

    [Fact]
    public async Task StreamStatus_ForACanceledMessage_EndsWithCanceled()
    {
        var clock = new ShiftedTimeProvider();
        await using var server = await StartAsync(clock, new Dictionary<string, string> { ["AgentMessage:Delivery:Workers"] = "0" });
        var scheduled = await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = DevSeed.SenderNumber, To = DevSeed.ConsentingRecipient, Text = "hi", SendAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(clock.GetUtcNow().AddHours(1)) },
            TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var id = scheduled.Message.Id;
        Assert.Equal(MessageStatus.Scheduled, scheduled.Message.Status);

        using var stream = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.True(await stream.ResponseStream.MoveNext(Ct));
        Assert.Equal(MessageStatus.Scheduled, stream.ResponseStream.Current.Event.Status);
        var canceled = await server.Messaging.CancelMessageAsync(new CancelMessageRequest { Id = id }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var events = new List<V1.StatusEvent>();
        await foreach (var item in stream.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(item.Event);
        }

        Assert.Equal(MessageStatus.Canceled, canceled.Message.Status);
        Assert.Equal([MessageStatus.Canceled], events.Select(e => e.Status));
    }

    private Task<TestServer> StartDeliveringAsync(ShiftedTimeProvider clock, params (string Key, string Value)[] extra) =>
        StartAsync(clock, DeliverySupport.Settings(extra));

    /// <summary>The instant a client sent, as the server keeps it (to the millisecond).</summary>
    private static DateTimeOffset Millis(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static DateTimeOffset Instant(JsonNode? node) =>
        DateTimeOffset.Parse((string)node!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Starts a server with <paramref name="clock"/> as its TimeProvider.</summary>
    protected static Task<TestServer> StartWithClockAsync(ShiftedTimeProvider clock, IDictionary<string, string> settings) =>
        TestServer.StartAsync(settings, services => services.AddSingleton<TimeProvider>(clock));
}
