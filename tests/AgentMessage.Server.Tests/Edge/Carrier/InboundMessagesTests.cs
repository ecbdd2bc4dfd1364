using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>
/// Inbound messages on the embedded default, from the signed inbound endpoint to what a client
/// reads on both faces: stored and read like any message, listed with the direction, from and to
/// filters, streamed in order with status events, stored once per carrier message id, STOP always
/// leaving an opt-out, and replies with in_reply_to. Each test has an organization of its own.
/// </summary>
public sealed class InboundMessagesTests(ComplianceServer shared) : IClassFixture<ComplianceServer>
{
    private const string InReplyToProblem = "must be the id of an inbound message of your organization from this send's to, received on its from";

    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task AnInboundText_IsStoredForTheNumbersOwner_AndReadOnBothFaces()
    {
        var (key, number, person) = await NewOrganizationAsync();

        var (response, answer) = await server.PostInboundAsync(InboundMessageBody(person, number, "Is 10:00 ok? 👍"));
        var id = (string)answer["data"]!["message_id"]!;
        var (get, body) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", key));
        var grpc = (await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = id }, TestServer.Bearer(key), cancellationToken: Ct)).Message;
        var (otherOrganization, _) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertJsonEqual(new JsonObject { ["success"] = true, ["data"] = new JsonObject { ["applied"] = false, ["action"] = "none", ["message_id"] = id } }, answer);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var createdAt = (string)body["data"]!["created_at"]!;
        AssertJsonEqual(
            new JsonObject
            {
                ["success"] = true,
                ["data"] = new JsonObject
                {
                    ["id"] = id,
                    ["from"] = person,
                    ["to"] = number,
                    ["text"] = "Is 10:00 ok? 👍",
                    ["channel"] = "sms",
                    ["priority"] = "default",
                    ["status"] = "received",
                    ["created_at"] = createdAt,
                    ["updated_at"] = createdAt,
                    ["segments"] = 1,
                    ["encoding"] = "ucs2",
                    ["media"] = new JsonArray(),
                    ["direction"] = "inbound",
                },
            },
            body);
        Assert.Equal((Direction.Inbound, MessageStatus.Received, person, number), (grpc.Direction, grpc.Status, grpc.From, grpc.To));
        Assert.False(grpc.HasInReplyTo);
        Assert.Null(grpc.ValidUntil);
        Assert.Equal(HttpStatusCode.NotFound, otherOrganization.StatusCode);
    }

    [Fact]
    public async Task AnInboundMms_KeepsTheCarriersMediaUrls()
    {
        var (key, number, person) = await NewOrganizationAsync();

        var (_, answer) = await server.PostInboundAsync(InboundMessageBody(person, number, "", null, "https://carrier.example/mms/1.jpg", "http://carrier.example/mms/2.png"));
        var (_, body) = await server.Rest.CallAsync(Get($"/v1/messages/{(string)answer["data"]!["message_id"]!}", key));

        Assert.Equal("mms", (string)body["data"]!["channel"]!);
        Assert.Equal(["https://carrier.example/mms/1.jpg", "http://carrier.example/mms/2.png"], body["data"]!["media"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(0, (int)body["data"]!["segments"]!);
        Assert.Equal("unspecified", (string)body["data"]!["encoding"]!);
    }

    [Fact]
    public async Task ListMessages_FiltersByDirectionFromAndTo_OnBothFaces()
    {
        var (key, number, person) = await NewOrganizationAsync(consenting: true);
        var stranger = NewNumber();
        var first = await server.ReceiveAsync(person, number, "hello?");
        var sent = await SendAsync(key, number, person, "hi! how can we help?");
        var second = await server.ReceiveAsync(stranger, number, "wrong number");
        var third = await server.ReceiveAsync(person, number, "my order is late");

        var inbound = await ListRestAsync(key, "direction=inbound");
        var fromPerson = await ListRestAsync(key, $"direction=inbound&from={Uri.EscapeDataString(person)}");
        var toPerson = await ListRestAsync(key, $"to={Uri.EscapeDataString(person)}");
        var outbound = await ListRestAsync(key, "direction=OUTBOUND&status=queued");
        var received = await ListRestAsync(key, $"status=received&to={Uri.EscapeDataString(number)}&page_size=2");
        var grpc = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Direction = Direction.Inbound, From = person, PageSize = 1 }, TestServer.Bearer(key), cancellationToken: Ct);
        var grpcOutbound = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Direction = Direction.Outbound }, TestServer.Bearer(key), cancellationToken: Ct);
        var grpcTagged = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Direction = Direction.Inbound, Tag = "promo" }, TestServer.Bearer(key), cancellationToken: Ct);

        Assert.Equal([third, second, first], inbound);
        Assert.Equal([third, first], fromPerson);
        Assert.Equal([sent], toPerson);
        Assert.Equal([sent], outbound);
        Assert.Equal([third, second], received);
        Assert.Equal([third], grpc.Messages.Select(m => m.Id));
        Assert.NotEmpty(grpc.NextPageToken);
        Assert.Equal([sent], grpcOutbound.Messages.Select(m => m.Id));
        Assert.Equal(Direction.Outbound, grpcOutbound.Messages[0].Direction);
        Assert.Empty(grpcTagged.Messages);
    }

    [Fact]
    public async Task ListMessages_BadDirectionFromOrTo_Is422NamingTheField_OnBothFaces()
    {
        var (response, body) = await server.Rest.CallAsync(Get("/v1/messages?from=5554443333&to=%2B0123", TestServer.DevKey));
        var (direction, directionBody) = await server.Rest.CallAsync(Get("/v1/messages?direction=sideways", TestServer.DevKey));
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.ListMessagesAsync(
            new ListMessagesRequest { Direction = (Direction)7, To = "+1555" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
        {
            ["from"] = "must be E.164",
            ["to"] = "must be E.164",
        }), body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, direction.StatusCode);
        AssertJsonEqual(ExpectedError(direction, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
        {
            ["direction"] = "must be one of: outbound, inbound",
        }), directionBody);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        Assert.Equal(
            ["direction", "to"],
            grpc.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations.Select(v => v.Field).Order());
    }

    [Fact]
    public async Task AnArrival_IsAReceivedInboundEvent_InOrderWithStatusEvents_ResumableAndFilteredByDirection()
    {
        var (key, number, person) = await NewOrganizationAsync(consenting: true);
        using var live = server.Messaging.StreamStatus(new StreamStatusRequest { Direction = Direction.Inbound }, TestServer.Bearer(key), cancellationToken: Ct);
        using var tagged = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "promo" }, TestServer.Bearer(key), cancellationToken: Ct);
        await Task.WhenAll(live.ResponseHeadersAsync, tagged.ResponseHeadersAsync);

        var sent = await SendAsync(key, number, person, "20% off today", tag: "promo");
        var received = await server.ReceiveAsync(person, number, "STOP");
        var liveEvent = await NextAsync(live);
        var taggedEvent = await NextAsync(tagged);
        using var stream = await server.Rest.SendAsync(Get("/v1/messages/status/stream?after=0-0&direction=inbound", key), HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(Ct));
        var line = JsonNode.Parse((await reader.ReadLineAsync(Ct))!)!;
        using var all = server.Messaging.StreamStatus(new StreamStatusRequest { After = "0-0" }, TestServer.Bearer(key), cancellationToken: Ct);
        var history = new[] { await NextAsync(all), await NextAsync(all) };
        using var resumed = server.Messaging.StreamStatus(new StreamStatusRequest { After = history[0].EventId, Direction = Direction.Inbound }, TestServer.Bearer(key), cancellationToken: Ct);
        var afterSend = await NextAsync(resumed);
        using var outboundOnly = server.Messaging.StreamStatus(new StreamStatusRequest { After = "0-0", Direction = Direction.Outbound }, TestServer.Bearer(key), cancellationToken: Ct);
        var outboundEvent = await NextAsync(outboundOnly);

        AssertJsonEqual(
            new JsonObject
            {
                ["event_id"] = (string)line["event_id"]!,
                ["message_id"] = received,
                ["status"] = "received",
                ["occurred_at"] = (string)line["occurred_at"]!,
                ["direction"] = "inbound",
            },
            line);
        Assert.Equal((received, MessageStatus.Received, Direction.Inbound, false), (liveEvent.MessageId, liveEvent.Status, liveEvent.Direction, liveEvent.HasTag));
        Assert.Equal((sent, MessageStatus.Queued, Direction.Outbound), (taggedEvent.MessageId, taggedEvent.Status, taggedEvent.Direction));
        Assert.Equal([sent, received], history.Select(e => e.MessageId));
        Assert.Equal([Direction.Outbound, Direction.Inbound], history.Select(e => e.Direction));
        Assert.Equal((string)line["event_id"]!, history[1].EventId);
        Assert.Equal((received, MessageStatus.Received), (afterSend.MessageId, afterSend.Status));
        Assert.Equal(sent, outboundEvent.MessageId);
    }

    [Fact]
    public async Task StreamStatus_NamingAnInboundMessage_SendsItsStateAndEnds()
    {
        var (key, number, person) = await NewOrganizationAsync();
        var id = await server.ReceiveAsync(person, number, "thanks");

        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(key), cancellationToken: Ct);
        var events = new List<V1.StatusEvent>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(response.Event);
        }

        var only = Assert.Single(events);
        Assert.Equal((id, MessageStatus.Received, Direction.Inbound), (only.MessageId, only.Status, only.Direction));
    }

    [Fact]
    public async Task ARepeatedCarrierMessageId_IsAnsweredLikeTheFirst_AndStoresNothing()
    {
        var (key, number, person) = await NewOrganizationAsync(consenting: true);
        var body = InboundMessageBody(person, number, "stop", "SM-0001");

        var (first, firstAnswer) = await server.PostInboundAsync(body);
        var (again, againAnswer) = await server.PostInboundAsync(body);
        var (otherId, otherAnswer) = await server.PostInboundAsync(InboundMessageBody(person, number, "stop", "SM-0002"));
        var listed = await ListRestAsync(key, "direction=inbound");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode, otherId.StatusCode));
        Assert.True((bool)firstAnswer["data"]!["applied"]!);
        AssertJsonEqual(firstAnswer, againAnswer);
        Assert.False((bool)otherAnswer["data"]!["applied"]!);
        Assert.Equal([(string)otherAnswer["data"]!["message_id"]!, (string)firstAnswer["data"]!["message_id"]!], listed);
    }

    [Fact]
    public async Task AStopFromANumberThatNeverConsented_RecordsAnOptOut_SoSendsAndRepliesAre453UntilStart()
    {
        var (key, number, person) = await NewOrganizationAsync();

        var (_, stop) = await server.PostInboundAsync(InboundMessageBody(person, number, "STOP"));
        var stopId = (string)stop["data"]!["message_id"]!;
        var (_, consent) = await server.Rest.CallAsync(Get($"/v1/consents/{Uri.EscapeDataString(person)}", key));
        var send = await server.SendRestAsync(person, key, from: number);
        var (reply, replyBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, ReplyBody(number, person, stopId)));
        await server.PostInboundAsync(InboundMessageBody(person, number, "START"));
        var afterStart = await server.SendRestAsync(person, key, from: number);

        Assert.True((bool)stop["data"]!["applied"]!);
        Assert.Equal("opt_out", (string)stop["data"]!["action"]!);
        Assert.Equal("opted_out", (string)consent["data"]!["status"]!);
        Assert.Equal("inbound keyword STOP", (string)consent["data"]!["source"]!);
        Assert.False(consent["data"]!.AsObject().ContainsKey("opted_in_at"), consent.ToJsonString());
        Assert.NotNull(consent["data"]!["opted_out_at"]);
        Assert.Equal((453, "CONSENT_REQUIRED"), send);
        Assert.Equal(453, (int)reply.StatusCode);
        Assert.Equal("CONSENT_REQUIRED", (string)replyBody["error"]!["code"]!);
        Assert.Equal(202, afterStart.Status);
    }

    [Fact]
    public async Task BadInboundFields_Are422NamingThem_AndMediaThatIsNotAnArrayIs400()
    {
        var (_, number, person) = await NewOrganizationAsync();

        var (invalid, invalidBody) = await server.PostInboundAsync(InboundMessageBody(person, number, "hi", "has space", "ftp://carrier.example/a.jpg"));
        var (malformed, malformedBody) = await server.PostInboundAsync($$"""{"from":"{{person}}","to":"{{number}}","text":"hi","media":"https://carrier.example/a.jpg"}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        AssertJsonEqual(ExpectedError(invalid, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
        {
            ["media[0]"] = "must be an http:// or https:// URL",
            ["carrier_message_id"] = "must be 1..128 printable ASCII characters without spaces",
        }), invalidBody);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        AssertJsonEqual(ExpectedError(malformed, "BAD_REQUEST", "media must be an array of strings"), malformedBody);
    }

    [Fact]
    public async Task AReply_WithinADay_NeedsNoRecordedConsent_AndEchoesInReplyTo_OnBothFaces()
    {
        var (key, number, person) = await NewOrganizationAsync();
        var question = await server.ReceiveAsync(person, number, "do you deliver on sundays?");

        var (rest, restBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, ReplyBody(number, person, question)));
        var grpc = await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = number, To = person, Text = "we do", InReplyTo = question }, TestServer.Bearer(key), cancellationToken: Ct);
        var unrelated = await server.SendRestAsync(person, key, from: number);
        var (_, got) = await server.Rest.CallAsync(Get($"/v1/messages/{(string)restBody["data"]!["id"]!}", key));

        Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        Assert.Equal(question, (string)restBody["data"]!["in_reply_to"]!);
        Assert.Equal("outbound", (string)restBody["data"]!["direction"]!);
        Assert.Equal(question, (string)got["data"]!["in_reply_to"]!);
        Assert.Equal((question, Direction.Outbound), (grpc.Message.InReplyTo, grpc.Message.Direction));
        Assert.Equal((453, "CONSENT_REQUIRED"), unrelated);
    }

    [Fact]
    public async Task AReply_ThatDoesNotAnswerAnInboundMessageOfThisConversation_Is422OnInReplyTo()
    {
        var (key, number, person) = await NewOrganizationAsync(consenting: true);
        var fromSomeoneElse = await server.ReceiveAsync(NewNumber(), number, "hi");
        var outbound = await SendAsync(key, number, person, "an outbound message");
        var (_, otherNumber, _) = await NewOrganizationAsync();
        var otherOrganizations = await server.ReceiveAsync(person, otherNumber, "hi");

        foreach (var inReplyTo in new[] { fromSomeoneElse, outbound, otherOrganizations, Guid.NewGuid().ToString("D"), "not-a-message-id" })
        {
            var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, ReplyBody(number, person, inReplyTo)));

            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["in_reply_to"] = InReplyToProblem }), body);
        }

        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = number, To = person, Text = "x", InReplyTo = outbound }, TestServer.Bearer(key), cancellationToken: Ct));
        Assert.Equal("in_reply_to", Assert.Single(grpc.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations).Field);
    }

    [Fact]
    public async Task AReply_MoreThanADayAfterTheInboundMessage_NeedsConsent()
    {
        var clock = new ShiftedTimeProvider();
        await using var timed = await TestServer.StartAsync(Settings(), services => services.AddSingleton<TimeProvider>(clock));
        const string number = DevSeed.SenderNumber;
        var person = NewNumber();
        var question = await timed.ReceiveAsync(person, number, "still open?");

        clock.Advance(MessageService.ReplyWindow - TimeSpan.FromMinutes(1));
        var (inTime, _) = await timed.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, ReplyBody(number, person, question)));
        clock.Advance(TimeSpan.FromMinutes(2));
        var (late, lateBody) = await timed.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", TestServer.DevKey, ReplyBody(number, person, question)));

        Assert.Equal(HttpStatusCode.Accepted, inTime.StatusCode);
        Assert.Equal(453, (int)late.StatusCode);
        Assert.Equal("CONSENT_REQUIRED", (string)lateBody["error"]!["code"]!);
    }

    private async Task<(string Key, string Number, string Person)> NewOrganizationAsync(bool consenting = false)
    {
        var number = NewNumber();
        var person = NewNumber();
        var key = await server.AddOrganizationAsync($"org_in_{Guid.NewGuid():N}", Scopes.All, ownedNumber: number, consentingRecipient: consenting ? person : null);
        return (key, number, person);
    }

    private static string ReplyBody(string from, string to, string inReplyTo) =>
        new JsonObject { ["from"] = from, ["to"] = to, ["text"] = "thanks for writing", ["in_reply_to"] = inReplyTo }.ToJsonString();

    private async Task<string> SendAsync(string key, string from, string to, string text, string? tag = null)
    {
        var body = new JsonObject { ["from"] = from, ["to"] = to, ["text"] = text };
        if (tag is not null)
        {
            body["tag"] = tag;
        }

        var (response, answer) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, body.ToJsonString()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)answer["data"]!["id"]!;
    }

    /// <summary>One page of GET /v1/messages?{query}, as message ids.</summary>
    private async Task<List<string>> ListRestAsync(string key, string query)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages?{query}", key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. body["data"]!["messages"]!.AsArray().Select(m => (string)m!["id"]!)];
    }

    private static async Task<V1.StatusEvent> NextAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current.Event;
    }
}
