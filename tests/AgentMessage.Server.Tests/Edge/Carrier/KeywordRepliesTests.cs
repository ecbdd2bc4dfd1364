using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Server.Hosting;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Carrier;

/// <summary>
/// Keyword replies through the signed inbound endpoint, on the embedded default and on Redis: STOP,
/// START and HELP are answered once per minute from the receiving number with ordinary outbound
/// messages (tagged keyword-stop, keyword-start, keyword-help) that both faces read and the stream
/// shows; the STOP confirmation passes the opt-out it confirms; the organization's own texts set
/// through the admin API (REST and gRPC) replace the defaults, an empty one sends nothing; a number
/// no one owns answers nothing. Each test has an organization of its own.
/// </summary>
public abstract class KeywordRepliesTests
{
    protected abstract TestServer Server { get; }

    [Fact]
    public async Task Stop_IsConfirmedFromTheReceivingNumber_ReadOnBothFaces_AndOnTheStream()
    {
        var (org, key, number, person) = await NewOrganizationAsync(consenting: true);
        using var stream = Server.Messaging.StreamStatus(new StreamStatusRequest { Tag = "keyword-stop" }, TestServer.Bearer(key), cancellationToken: Ct);
        await stream.ResponseHeadersAsync;

        var (response, answer) = await Server.PostInboundAsync(InboundMessageBody(person, number, " stop "));
        var replies = await RepliesAsync(key, person);
        var grpc = await Server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = "keyword-stop" }, TestServer.Bearer(key), cancellationToken: Ct);
        Assert.True(await stream.ResponseStream.MoveNext(Ct));
        var streamed = stream.ResponseStream.Current.Event;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("opt_out", "STOP", true), ((string)answer["data"]!["action"]!, (string)answer["data"]!["keyword"]!, (bool)answer["data"]!["applied"]!));
        var reply = Assert.Single(replies);
        Assert.Equal(
            ("keyword-stop", number, person, "outbound", $"{org}: you are unsubscribed and will receive no more messages. Reply START to resubscribe."),
            ((string)reply["tag"]!, (string)reply["from"]!, (string)reply["to"]!, (string)reply["direction"]!, (string)reply["text"]!));
        var message = Assert.Single(grpc.Messages);
        Assert.Equal(((string)reply["id"]!, Direction.Outbound, number, person, (string)reply["text"]!), (message.Id, message.Direction, message.From, message.To, message.Text));
        Assert.Equal((message.Id, "keyword-stop"), (streamed.MessageId, streamed.Tag));

        // The confirmation was the one message allowed: a send to the person is refused again.
        Assert.Equal(453, (await Server.SendRestAsync(person, key, number)).Status);
    }

    [Fact]
    public async Task StartAndHelp_AreAnsweredWithTheirOwnTexts_AndTags()
    {
        var (org, key, number, person) = await NewOrganizationAsync(consenting: true);

        await Server.ReceiveAsync(person, number, "STOP");
        await Server.ReceiveAsync(person, number, "unstop");
        await Server.ReceiveAsync(person, number, "Info");
        var replies = await RepliesAsync(key, person);

        Assert.Equal(
            [
                ("keyword-help", $"{org}: reply STOP to unsubscribe. Msg&data rates may apply."),
                ("keyword-start", $"{org}: you are subscribed again. Reply STOP to unsubscribe."),
                ("keyword-stop", $"{org}: you are unsubscribed and will receive no more messages. Reply START to resubscribe."),
            ],
            replies.Select(r => ((string)r["tag"]!, (string)r["text"]!)));
        Assert.All(replies, r => Assert.Equal((number, person), ((string)r["from"]!, (string)r["to"]!)));
    }

    [Fact]
    public async Task TheSameKeywordWithinAMinute_IsAnsweredOnce_AnotherKeywordOrPersonIsAnswered()
    {
        var (_, key, number, person) = await NewOrganizationAsync();
        var other = NewNumber();

        await Server.ReceiveAsync(person, number, "HELP");
        await Server.ReceiveAsync(person, number, "help");
        await Server.ReceiveAsync(person, number, "STOP");
        await Server.ReceiveAsync(person, number, "QUIT");
        await Server.ReceiveAsync(other, number, "HELP");

        Assert.Equal(["keyword-stop", "keyword-help"], (await RepliesAsync(key, person)).Select(r => (string)r["tag"]!));
        Assert.Equal(["keyword-help"], (await RepliesAsync(key, other)).Select(r => (string)r["tag"]!));
        Assert.Equal(4, (await InboundFromAsync(key, person)).Count);
    }

    [Fact]
    public async Task AKeywordToANumberNoOneOwns_GetsNoReply()
    {
        var person = NewNumber();
        var nobodys = NewNumber();

        var (response, answer) = await Server.PostInboundAsync(InboundMessageBody(person, nobodys, "HELP"));
        var (_, list) = await Server.Rest.CallAsync(Get($"/v1/messages?to={Uri.EscapeDataString(person)}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(answer["data"]!["message_id"]);
        Assert.Empty(list["data"]!["messages"]!.AsArray());
    }

    [Fact]
    public async Task TextsSetThroughTheAdminApi_AreSent_AndAnEmptyTextSendsNothing()
    {
        var number = NewNumber();
        var person = NewNumber();
        var created = await Server.Admin().CreateOrganizationAsync(
            new CreateOrganizationRequest { Name = "Acme", KeywordReplies = new KeywordReplies { HelpText = "Acme support: 555-0100.", StopText = "" } },
            Operator.Bearer,
            cancellationToken: Ct);
        var org = created.Organization.Id;
        await Server.AddNumberAsync(org, number);
        var (key, _) = await Server.CreateKeyAsync(org, Scopes.All.ToArray());

        await Server.ReceiveAsync(person, number, "HELP");
        await Server.ReceiveAsync(person, number, "STOP");
        var (patched, patchedBody) = await Server.AdminAsync(HttpMethod.Patch, $"/v1/admin/organizations/{org}", """{"keyword_replies": {"start_text": "Acme: welcome back."}}""");
        await Server.ReceiveAsync(person, number, "START");
        var (read, readBody) = await Server.AdminAsync(HttpMethod.Get, $"/v1/admin/organizations/{org}");

        Assert.Equal(
            ("Acme support: 555-0100.", "", "Acme: you are subscribed again. Reply STOP to unsubscribe."),
            (created.Organization.KeywordReplies.HelpText, created.Organization.KeywordReplies.StopText, created.Organization.KeywordReplies.StartText));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var expected = new JsonObject { ["stop_text"] = "", ["start_text"] = "Acme: welcome back.", ["help_text"] = "Acme support: 555-0100." };
        AssertJsonEqual(expected, patchedBody["data"]!["keyword_replies"]!);
        AssertJsonEqual(expected, readBody["data"]!["keyword_replies"]!);
        Assert.Equal(
            [("keyword-start", "Acme: welcome back."), ("keyword-help", "Acme support: 555-0100.")],
            (await RepliesAsync(key, person)).Select(r => ((string)r["tag"]!, (string)r["text"]!)));
    }

    [Fact]
    public async Task TextsUpdatedOverGrpc_ReplaceOnlyTheTextsGiven()
    {
        var org = await Server.CreateOrganizationAsync("Acme");

        var updated = await Server.Admin().UpdateOrganizationAsync(
            new UpdateOrganizationRequest { OrganizationId = org, KeywordReplies = new KeywordReplies { HelpText = "Acme help: 555-0100." } },
            Operator.Bearer,
            cancellationToken: Ct);
        var again = await Server.Admin().UpdateOrganizationAsync(
            new UpdateOrganizationRequest { OrganizationId = org, KeywordReplies = new KeywordReplies { StopText = "" } },
            Operator.Bearer,
            cancellationToken: Ct);

        Assert.Equal("Acme help: 555-0100.", updated.Organization.KeywordReplies.HelpText);
        Assert.Equal("Acme: you are subscribed again. Reply STOP to unsubscribe.", updated.Organization.KeywordReplies.StartText);
        Assert.Equal(("Acme help: 555-0100.", ""), (again.Organization.KeywordReplies.HelpText, again.Organization.KeywordReplies.StopText));
    }

    [Fact]
    public async Task AKeywordReplyTextTooLong_IsRefusedNamingIt_OnBothFaces()
    {
        var org = await Server.CreateOrganizationAsync("Acme");
        var tooLong = new string('a', 1601);

        var (response, body) = await Server.AdminAsync(HttpMethod.Patch, $"/v1/admin/organizations/{org}", new JsonObject { ["keyword_replies"] = new JsonObject { ["help_text"] = tooLong } }.ToJsonString());
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await Server.Admin().CreateOrganizationAsync(
            new CreateOrganizationRequest { Name = "Acme", KeywordReplies = new KeywordReplies { StopText = tooLong } }, Operator.Bearer, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.NotNull(body["error"]!["details"]!["keyword_replies.help_text"]);
        Assert.Equal(StatusCode.InvalidArgument, grpc.StatusCode);
        Assert.Equal(["keyword_replies.stop_text"], grpc.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations.Select(v => v.Field));
    }

    private async Task<(string Org, string Key, string Number, string Person)> NewOrganizationAsync(bool consenting = false)
    {
        var org = $"org_kw_{Guid.NewGuid():N}";
        var number = NewNumber();
        var person = NewNumber();
        var key = await Server.AddOrganizationAsync(org, Scopes.All, ownedNumber: number, consentingRecipient: consenting ? person : null);
        return (org, key, number, person);
    }

    /// <summary>The outbound messages to <paramref name="person"/>, newest first, over REST.</summary>
    private async Task<List<JsonNode>> RepliesAsync(string key, string person)
    {
        var (response, body) = await Server.Rest.CallAsync(Get($"/v1/messages?direction=outbound&to={Uri.EscapeDataString(person)}", key));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. body["data"]!["messages"]!.AsArray().Select(m => m!)];
    }

    private async Task<List<JsonNode>> InboundFromAsync(string key, string person)
    {
        var (_, body) = await Server.Rest.CallAsync(Get($"/v1/messages?direction=inbound&from={Uri.EscapeDataString(person)}", key));
        return [.. body["data"]!["messages"]!.AsArray().Select(m => m!)];
    }
}

/// <summary><see cref="KeywordRepliesTests"/> on the embedded default.</summary>
public sealed class InMemoryKeywordRepliesTests(KeywordRepliesServer shared) : KeywordRepliesTests, IClassFixture<KeywordRepliesServer>
{
    protected override TestServer Server => shared.Server;

    [Fact]
    public async Task AReplyThatFails_LeavesTheInboundAnswerAndMessage_AndLogsNoNumberOrText()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(Settings(), services =>
        {
            services.AddSingleton<IKeywordReplyLimiter, FailingLimiter>();
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
        });
        var person = NewNumber();

        var (response, answer) = await server.PostInboundAsync(InboundBody(person, "STOP"));
        var id = (string)answer["data"]!["message_id"]!;
        var (_, read) = await server.Rest.CallAsync(Get($"/v1/messages/{id}", TestServer.DevKey));
        var (_, replies) = await server.Rest.CallAsync(Get("/v1/messages?tag=keyword-stop", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("opt_out", true), ((string)answer["data"]!["action"]!, (bool)answer["data"]!["applied"]!));
        Assert.Equal("STOP", (string)read["data"]!["text"]!);
        Assert.Empty(replies["data"]!["messages"]!.AsArray());
        var line = Assert.Single(logs.Lines, l => l.Contains("Keyword reply", StringComparison.Ordinal));
        Assert.DoesNotContain(person[1..], line, StringComparison.Ordinal);
        Assert.DoesNotContain(DevSeed.SenderNumber[1..], line, StringComparison.Ordinal);
    }

    private sealed class FailingLimiter : IKeywordReplyLimiter
    {
        public ValueTask<bool> TryTakeAsync(string organizationId, string person, KeywordAction action, TimeSpan window, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"down while limiting {person}");
    }
}

/// <summary><see cref="KeywordRepliesTests"/> on a real redis-server.</summary>
public sealed class RedisKeywordRepliesTests(RedisFixture redis) : KeywordRepliesTests, IClassFixture<RedisFixture>, IAsyncLifetime
{
    private TestServer server = null!;

    protected override TestServer Server => server;

    public async ValueTask InitializeAsync() => server = await TestServer.StartAsync(
        Operator.Settings(Settings(("AgentMessage:Redis:Configuration", redis.Server.Configuration), ("AgentMessage:Dev:Seed", "true"))));

    public async ValueTask DisposeAsync() => await server.DisposeAsync();
}

/// <summary>One embedded-default server with a carrier secret and an operator token.</summary>
public sealed class KeywordRepliesServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(Operator.Settings(Settings()));

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
