using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Delivery;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.RestRequests;
using DomainStatus = AgentMessage.Core.Messaging.DeliveryStatus;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// StreamStatus on the embedded default, with status changes made through the status store
/// (as the dispatch workers and carrier receipts make them) so each step is under the test's control.
/// </summary>
public sealed class StatusStreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StreamStatus_ForANamedMessage_SendsCurrentStateThenEachChangeAndEndsWhenTerminal()
    {
        await using var server = await StartAsync();
        var id = await SendAsync(server, tag: null);
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var first = await NextAsync(call);

        await MoveAsync(server, id, DomainStatus.Sending, DomainStatus.Sent, DomainStatus.Delivered);
        var rest = await ReadToEndAsync(call);

        Assert.Equal(MessageStatus.Queued, first.Status);
        Assert.Equal([MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Delivered], rest.Select(e => e.Status));
        Assert.All(rest, e => Assert.Equal(id, e.MessageId));
    }

    [Fact]
    public async Task StreamStatus_ForAnAlreadyTerminalMessage_SendsItsStateAndEnds()
    {
        await using var server = await StartAsync();
        var id = await SendAsync(server, tag: null);
        await MoveAsync(server, id, DomainStatus.Failed);
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        var events = await ReadToEndAsync(call);

        Assert.Equal(MessageStatus.Failed, Assert.Single(events).Status);
    }

    [Fact]
    public async Task StreamStatus_NamedMessagesAfterACursor_FirstLineCarriesTheIdOfTheEventThatSetTheState()
    {
        await using var server = await StartAsync();
        var log = await RecordLogAsync(server, async () =>
        {
            var early = await SendAsync(server, tag: null);
            await MoveAsync(server, early, DomainStatus.Sending, DomainStatus.Delivered);
            await SendAsync(server, tag: null);
            return 4;
        });
        var delivered = log[2];

        // A client that resumes after the newest event it saw and drops event ids it has seen.
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { delivered.MessageId }, After = log[3].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var events = await ReadToEndAsync(call);

        var only = Assert.Single(events);
        Assert.Equal(MessageStatus.Delivered, only.Status);
        Assert.Equal(delivered.EventId, only.EventId);
        Assert.Equal(delivered.OccurredAt, only.OccurredAt);
    }

    [Fact]
    public async Task StreamStatus_NamedMessageChangedAfterTheCursor_SendsEachEventOnceWithItsOwnId()
    {
        await using var server = await StartAsync();
        var log = await RecordLogAsync(server, async () =>
        {
            var id = await SendAsync(server, tag: null);
            await MoveAsync(server, id, DomainStatus.Sending, DomainStatus.Sent);
            return 3;
        });

        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { log[0].MessageId }, After = log[0].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var first = await NextAsync(call);
        var second = await NextAsync(call);
        await MoveAsync(server, log[0].MessageId, DomainStatus.Delivered);
        var rest = await ReadToEndAsync(call);

        Assert.Equal([log[1].EventId, log[2].EventId], new[] { first.EventId, second.EventId });
        Assert.Equal([MessageStatus.Sending, MessageStatus.Sent], new[] { first.Status, second.Status });
        Assert.Equal(MessageStatus.Delivered, Assert.Single(rest).Status);
    }

    [Fact]
    public async Task StreamStatus_NamedMessageWithoutACursor_FirstLineCarriesTheIdOfTheEventThatSetTheState()
    {
        await using var server = await StartAsync();
        var log = await RecordLogAsync(server, async () =>
        {
            var id = await SendAsync(server, tag: null);
            await MoveAsync(server, id, DomainStatus.Sending);
            await SendAsync(server, tag: null);
            return 3;
        });

        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { log[0].MessageId } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var snapshot = await NextAsync(call);
        var (response, lines) = await RestLinesAsync(server, $"/v1/messages/status/stream?message_ids={log[0].MessageId}&after={log[2].EventId}", 1);

        Assert.Equal(log[1].EventId, snapshot.EventId);
        Assert.Equal(MessageStatus.Sending, snapshot.Status);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(log[1].EventId, (string)lines[0]["event_id"]!);
        Assert.Equal("sending", (string)lines[0]["status"]!);
    }

    [Fact]
    public async Task StreamStatus_TerminalStates_NeverChange()
    {
        await using var server = await StartAsync();
        var id = await SendAsync(server, tag: null);
        var store = server.Services.GetRequiredService<IMessageStatusStore>();

        var delivered = await store.TransitionAsync(DevSeed.OrganizationId, id, DomainStatus.Delivered, null, Ct);
        var late = await store.TransitionAsync(DevSeed.OrganizationId, id, DomainStatus.Sent, null, Ct);
        var conflicting = await store.TransitionAsync(DevSeed.OrganizationId, id, DomainStatus.Undelivered, "late", Ct);
        var message = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = id }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        Assert.NotNull(delivered);
        Assert.Null(late);
        Assert.Null(conflicting);
        Assert.Equal(MessageStatus.Delivered, message.Message.Status);
    }

    [Fact]
    public async Task StreamStatus_ResumedWithAfter_MissesNothingAndRepeatsNothing()
    {
        await using var server = await StartAsync();
        var id = await SendAsync(server, tag: "resume");
        var first = new List<V1.StatusEvent>();
        using (var call = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "resume" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct))
        {
            await call.ResponseHeadersAsync; // the stream is live: nothing after this is missed
            await MoveAsync(server, id, DomainStatus.Sending);
            first.Add(await NextAsync(call));
        }

        // While disconnected, more happens.
        await MoveAsync(server, id, DomainStatus.Sent, DomainStatus.Delivered);
        using var resumed = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "resume", After = first[^1].EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var next = new[] { await NextAsync(resumed), await NextAsync(resumed) };

        Assert.Equal(MessageStatus.Sending, first[0].Status);
        Assert.Equal([MessageStatus.Sent, MessageStatus.Delivered], next.Select(e => e.Status));
        Assert.Equal(3, new[] { first[0].EventId, next[0].EventId, next[1].EventId }.Distinct().Count());
    }

    [Fact]
    public async Task StreamStatus_ResumedFromTheSnapshotOfAnEmptyLog_GetsEverythingSince()
    {
        await using var server = await StartAsync();
        using var empty = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "early" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await empty.ResponseHeadersAsync;
        empty.Dispose();
        var id = await SendAsync(server, tag: "early");

        using var resumed = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "early", After = "0-0" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var first = await NextAsync(resumed);

        Assert.Equal(id, first.MessageId);
        Assert.Equal(MessageStatus.Queued, first.Status);
    }

    [Fact]
    public async Task StreamStatus_ResumedFromATrimmedEvent_IsRefusedBeforeAnyEvent()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Delivery:Workers"] = "0",
            ["AgentMessage:Delivery:EventLogLength"] = "3",
        });
        var id = await SendAsync(server, tag: null);
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { id } }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var snapshot = await NextAsync(call);

        // Four more events in a log of three: the one right after the snapshot's cursor is gone.
        for (var i = 0; i < 4; i++)
        {
            await SendAsync(server, tag: null);
        }

        using var resumed = server.Messaging.StreamStatus(new StreamStatusRequest { After = snapshot.EventId }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await resumed.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        var violation = Assert.Single(refused.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations);
        Assert.Equal("after", violation.Field);
        Assert.Contains("older than the oldest retained event", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamStatus_FilteredByTag_SeesOnlyThatTag()
    {
        await using var server = await StartAsync();
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "wanted" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await call.ResponseHeadersAsync;

        await SendAsync(server, tag: "other");
        var wanted = await SendAsync(server, tag: "wanted");
        var received = await NextAsync(call);

        Assert.Equal(wanted, received.MessageId);
        Assert.Equal("wanted", received.Tag);
        Assert.Equal(MessageStatus.Queued, received.Status);
    }

    [Fact]
    public async Task StreamStatus_OverRest_IsNdjsonInTheRestShape()
    {
        await using var server = await StartAsync();
        var id = await SendAsync(server, tag: "rest");
        var request = Get($"/v1/messages/status/stream?message_ids={id}", TestServer.DevKey);

        using var response = await server.Rest.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var first = (await reader.ReadLineAsync(Ct))!;
        var snapshot = JsonNode.Parse(first)!;
        await MoveAsync(server, id, DomainStatus.Sending, DomainStatus.Undelivered);
        var lines = new List<JsonNode>();
        var relaxed = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal(snapshot.ToJsonString(relaxed), first);
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            lines.Add(JsonNode.Parse(line)!);
            Assert.Equal(lines[^1].ToJsonString(relaxed), line);
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("queued", (string)snapshot["status"]!);
        Assert.Equal(id, (string)snapshot["message_id"]!);
        Assert.Equal(["sending", "undelivered"], lines.Select(l => (string)l["status"]!));
        Assert.Equal("rest", (string)lines[1]["tag"]!);
        Assert.True(lines[1].AsObject().ContainsKey("event_id"));
        Assert.True(lines[1].AsObject().ContainsKey("occurred_at"));
    }

    [Fact]
    public async Task StreamStatus_OverRest_BadRequestIsTheEnvelopeBeforeAnyLine()
    {
        await using var server = await StartAsync();

        var (response, body) = await server.Rest.CallAsync(Get("/v1/messages/status/stream?message_ids=nope&after=x", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
        {
            ["message_ids[0]"] = "must be a message id",
            ["after"] = "must be an event_id from this stream",
        }), body);
    }

    [Fact]
    public async Task StreamStatus_AfterAnEventIdAheadOfTheLog_IsRefusedOnBothFaces()
    {
        await using var server = await StartAsync();
        await SendAsync(server, tag: "ahead");
        const string future = "99999999999999-0";

        var (response, body) = await server.Rest.CallAsync(Get($"/v1/messages/status/stream?tag=ahead&after={future}", TestServer.DevKey));
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "ahead", After = future }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("is ahead of the newest event; use an event_id this stream gave you", (string)body["error"]!["details"]!["after"]!);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        var status = refused.GetRpcStatus()!;
        Assert.Equal("VALIDATION_FAILED", status.GetDetail<Google.Rpc.ErrorInfo>()!.Reason);
        Assert.Equal("after", Assert.Single(status.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations).Field);
    }

    [Fact]
    public async Task StreamStatus_AThousandConcurrentStreams_EachReceiveTheEvent()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Delivery:Workers"] = "0",
            ["AgentMessage:Streams:MaxPerKey"] = "1000",
        });
        using var channel = GrpcChannel.ForAddress(server.GrpcUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new MessagingService.MessagingServiceClient(channel);
        var calls = Enumerable.Range(0, 1000)
            .Select(_ => client.StreamStatus(new StreamStatusRequest { Tag = "fanout" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct))
            .ToList();
        try
        {
            // Every stream is open (subscribed) once its response headers arrive.
            await Task.WhenAll(calls.Select(c => c.ResponseHeadersAsync));
            var id = await SendAsync(server, tag: "fanout");

            var received = await Task.WhenAll(calls.Select(c => NextAsync(c)));

            Assert.All(received, e => Assert.Equal(id, e.MessageId));
            Assert.Equal(1000, server.Services.GetRequiredService<StatusEventHub>().SubscriberCount);
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(new Dictionary<string, string>
    {
        // No workers: these tests move statuses themselves.
        ["AgentMessage:Delivery:Workers"] = "0",
    });

    private static async Task<string> SendAsync(TestServer server, string? tag)
    {
        var request = new SendMessageRequest { From = "+15551112222", To = "+15554443333", Text = "hello" };
        if (tag is not null)
        {
            request.Tag = tag;
        }

        return (await server.Messaging.SendMessageAsync(request, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct)).Message.Id;
    }

    private static async Task MoveAsync(TestServer server, string id, params DomainStatus[] statuses)
    {
        var store = server.Services.GetRequiredService<IMessageStatusStore>();
        foreach (var status in statuses)
        {
            Assert.NotNull(await store.TransitionAsync(DevSeed.OrganizationId, id, status, status == DomainStatus.Undelivered ? "unreachable" : null, Ct));
        }
    }

    /// <summary>Every event the actions produce, as a stream of the whole organization saw them.</summary>
    private static async Task<List<V1.StatusEvent>> RecordLogAsync(TestServer server, Func<Task<int>> act)
    {
        using var all = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        await all.ResponseHeadersAsync;
        var count = await act();
        var events = new List<V1.StatusEvent>();
        while (events.Count < count)
        {
            events.Add(await NextAsync(all));
        }

        return events;
    }

    /// <summary>The first <paramref name="count"/> lines of a REST stream.</summary>
    private static async Task<(HttpResponseMessage Response, List<JsonNode> Lines)> RestLinesAsync(TestServer server, string path, int count)
    {
        var response = await server.Rest.SendAsync(Get(path, TestServer.DevKey), HttpCompletionOption.ResponseHeadersRead, Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var lines = new List<JsonNode>();
        while (lines.Count < count && await reader.ReadLineAsync(Ct) is { } line)
        {
            lines.Add(JsonNode.Parse(line)!);
        }

        return (response, lines);
    }

    private static async Task<V1.StatusEvent> NextAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current.Event;
    }

    private static async Task<List<V1.StatusEvent>> ReadToEndAsync(AsyncServerStreamingCall<StreamStatusResponse> call)
    {
        var events = new List<V1.StatusEvent>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(response.Event);
        }

        return events;
    }
}
