using AgentMessage.Core.Access;
using AgentMessage.V1;
using Grpc.Core;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>The native gRPC face of MessagingService on its success paths (docs/API.md sections 1, 5).</summary>
public sealed class MessagingServiceTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    private readonly TestServer server = fixture.Server;

    private static Metadata Dev => TestServer.Bearer(TestServer.DevKey);

    [Fact]
    public async Task SendMessage_SpecExample_ReturnsQueuedSmsMessage()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        var response = await server.Messaging.SendMessageAsync(Requests.SpecExample(), Dev, cancellationToken: Ct);

        var message = response.Message;
        Assert.True(Guid.TryParseExact(message.Id, "D", out _), $"id {message.Id} is not a UUID");
        Assert.Equal("+15551112222", message.From);
        Assert.Equal("+15554443333", message.To);
        Assert.Equal("hello from agentmessage", message.Text);
        Assert.Equal(MessageStatus.Queued, message.Status);
        Assert.Equal(Channel.Sms, message.Channel);
        Assert.Equal(Priority.Default, message.Priority);
        Assert.True(message.HasTag);
        Assert.Equal("order-7421", message.Tag);
        Assert.Equal(1, message.Segments);
        Assert.Equal(Encoding.Gsm7, message.Encoding);
        Assert.Empty(message.Media);
        Assert.False(message.HasErrorCode);
        Assert.NotNull(message.CreatedAt);
        var createdAt = message.CreatedAt.ToDateTimeOffset();
        Assert.InRange(createdAt, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(message.CreatedAt, message.UpdatedAt);
    }

    [Fact]
    public async Task SendMessage_Success_ResponseHeadersCarryRequestIdAndRateLimit()
    {
        using var call = server.Messaging.SendMessageAsync(Requests.SpecExample(), Dev, cancellationToken: Ct);

        var headers = await call.ResponseHeadersAsync;
        var response = await call;

        RequestIdOf(headers);
        Assert.Equal("100", headers.GetValue("ratelimit-limit")); // the configured default burst
        var remaining = headers.GetValue("ratelimit-remaining");
        Assert.NotNull(remaining);
        Assert.InRange(int.Parse(remaining, System.Globalization.CultureInfo.InvariantCulture), 0, 99);
        Assert.NotNull(headers.GetValue("ratelimit-reset"));
        Assert.Null(headers.GetValue("location")); // Location is part of the REST 202, not of gRPC.
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task SendMessage_PriorityUnspecified_BecomesDefault()
    {
        var request = Requests.Valid();
        Assert.Equal(Priority.Unspecified, request.Priority);

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(Priority.Default, response.Message.Priority);
    }

    [Fact]
    public async Task SendMessage_PriorityHigh_StaysHigh()
    {
        var request = Requests.Valid();
        request.Priority = Priority.High;

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(Priority.High, response.Message.Priority);
        var stored = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = response.Message.Id }, Dev, cancellationToken: Ct);
        Assert.Equal(Priority.High, stored.Message.Priority);
    }

    [Fact]
    public async Task SendMessage_WithoutTag_HasNoTag()
    {
        var response = await server.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);

        Assert.False(response.Message.HasTag);
    }

    [Fact]
    public async Task SendMessage_WithHttpsMedia_IsAcceptedAsMms()
    {
        var request = Requests.Valid();
        request.Media.Add("https://example.com/a.png");

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(Channel.Mms, response.Message.Channel);
        Assert.Equal(MessageStatus.Queued, response.Message.Status);
        Assert.Equal(new[] { "https://example.com/a.png" }, response.Message.Media);
    }

    [Fact]
    public async Task SendMessage_MediaOnlyWithEmptyText_IsAcceptedAsMms()
    {
        var request = new SendMessageRequest { From = Requests.Sender, To = Requests.ConsentingRecipient, Media = { "https://example.com/a.png" } };

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(Channel.Mms, response.Message.Channel);
        Assert.Equal(string.Empty, response.Message.Text);
        Assert.Equal(0, response.Message.Segments);
        Assert.Equal(Encoding.Unspecified, response.Message.Encoding);
    }

    [Fact]
    public async Task SendMessage_TextOf1600Scalars_IsAccepted()
    {
        var request = Requests.Valid();
        request.Text = string.Concat(Enumerable.Repeat("😀", 1600)); // 1600 scalar values, 3200 UTF-16 units

        var response = await server.Messaging.SendMessageAsync(request, Dev, cancellationToken: Ct);

        Assert.Equal(Encoding.Ucs2, response.Message.Encoding);
        Assert.Equal(request.Text, response.Message.Text);
    }

    [Fact]
    public async Task GetMessage_SentMessage_ReturnsIt()
    {
        var sent = (await server.Messaging.SendMessageAsync(Requests.SpecExample(), Dev, cancellationToken: Ct)).Message;

        var got = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = sent.Id }, Dev, cancellationToken: Ct);

        Assert.Equal(sent, got.Message);
    }

    [Fact]
    public async Task GetMessage_OtherOrganizationsMessage_FailsNotFound()
    {
        var otherKey = await server.AddOrganizationAsync(
            $"org_other_{Guid.NewGuid():N}", Scopes.All, ownedNumber: "+15552220001", consentingRecipient: "+15552220002");
        var theirs = (await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15552220001", To = "+15552220002", Text = "theirs" },
            TestServer.Bearer(otherKey),
            cancellationToken: Ct)).Message;

        // Visible to its own organization...
        var own = await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = theirs.Id }, TestServer.Bearer(otherKey), cancellationToken: Ct);
        Assert.Equal(theirs.Id, own.Message.Id);

        // ...and to nobody else, in exactly the way an id that never existed is not found.
        var foreign = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = theirs.Id }, Dev, cancellationToken: Ct));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString("D") }, Dev, cancellationToken: Ct));

        var info = AssertError(foreign, StatusCode.NotFound, "NOT_FOUND", "message not found");
        Assert.Equal(new[] { "request_id" }, info.Metadata.Keys);
        AssertError(unknown, StatusCode.NotFound, "NOT_FOUND", "message not found");
    }

    [Fact]
    public async Task GetMessage_IdNotAUuid_FailsNotFound()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = "not-a-uuid" }, Dev, cancellationToken: Ct));

        AssertError(exception, StatusCode.NotFound, "NOT_FOUND", "message not found");
    }

    [Fact]
    public async Task ListMessages_TagFilter_ReturnsOnlyThatTagNewestFirst()
    {
        var tag = Requests.UniqueTag("list");
        var first = await SendAsync(Dev, tag);
        await SendAsync(Dev, Requests.UniqueTag("other"));
        var second = await SendAsync(Dev, tag);

        var page = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag }, Dev, cancellationToken: Ct);

        Assert.Equal(new[] { second.Id, first.Id }, page.Messages.Select(m => m.Id));
        Assert.All(page.Messages, m => Assert.Equal(tag, m.Tag));
        Assert.Equal(string.Empty, page.NextPageToken);
    }

    [Fact]
    public async Task ListMessages_StatusFilter_MatchesOnlyThatStatus()
    {
        var tag = Requests.UniqueTag("status");
        var first = await SendAsync(Dev, tag);
        var second = await SendAsync(Dev, tag);

        var queued = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag, Status = MessageStatus.Queued }, Dev, cancellationToken: Ct);
        var delivered = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag, Status = MessageStatus.Delivered }, Dev, cancellationToken: Ct);

        Assert.Equal(new[] { second.Id, first.Id }, queued.Messages.Select(m => m.Id));
        Assert.Empty(delivered.Messages);
        Assert.Equal(string.Empty, delivered.NextPageToken);
    }

    [Fact]
    public async Task ListMessages_PageSize2Over3Messages_PagesNewestFirst()
    {
        // A fresh organization, so the listing holds exactly this test's messages.
        var key = await server.AddOrganizationAsync(
            $"org_paging_{Guid.NewGuid():N}", Scopes.All, ownedNumber: "+15553330001", consentingRecipient: "+15553330002");
        var auth = TestServer.Bearer(key);
        var sent = new List<Message>();
        for (var i = 0; i < 3; i++)
        {
            var response = await server.Messaging.SendMessageAsync(
                new SendMessageRequest { From = "+15553330001", To = "+15553330002", Text = $"message {i}" }, auth, cancellationToken: Ct);
            sent.Add(response.Message);
        }

        var page1 = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { PageSize = 2 }, auth, cancellationToken: Ct);
        Assert.Equal(new[] { sent[2].Id, sent[1].Id }, page1.Messages.Select(m => m.Id));
        Assert.NotEqual(string.Empty, page1.NextPageToken);

        var page2 = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { PageSize = 2, PageToken = page1.NextPageToken }, auth, cancellationToken: Ct);
        Assert.Equal(new[] { sent[0].Id }, page2.Messages.Select(m => m.Id));
        Assert.Equal(string.Empty, page2.NextPageToken);

        // Page size 0 means the default (50): everything in one page.
        var all = await server.Messaging.ListMessagesAsync(new ListMessagesRequest(), auth, cancellationToken: Ct);
        Assert.Equal(sent.Select(m => m.Id).Reverse(), all.Messages.Select(m => m.Id));
        Assert.Equal(string.Empty, all.NextPageToken);
    }

    [Fact]
    public async Task ListMessages_PagesStayStableWhenNewMessagesArrive()
    {
        var tag = Requests.UniqueTag("stable");
        var a = await SendAsync(Dev, tag);
        var b = await SendAsync(Dev, tag);
        var c = await SendAsync(Dev, tag);

        var page1 = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag, PageSize = 2 }, Dev, cancellationToken: Ct);
        await SendAsync(Dev, tag); // arrives between the pages
        var page2 = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = tag, PageSize = 2, PageToken = page1.NextPageToken }, Dev, cancellationToken: Ct);

        Assert.Equal(new[] { c.Id, b.Id }, page1.Messages.Select(m => m.Id));
        Assert.Equal(new[] { a.Id }, page2.Messages.Select(m => m.Id));
        Assert.Equal(string.Empty, page2.NextPageToken);
    }

    [Theory]
    [InlineData("not a token")]
    [InlineData("djE6LTE")] // base64url of "v1:-1"
    [InlineData("eDp5")] // base64url of "x:y"
    public async Task ListMessages_InvalidPageToken_FailsInvalidArgumentOnPageToken(string token)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest { PageToken = token }, Dev, cancellationToken: Ct));

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        var violations = Violations(exception);
        Assert.Equal(new[] { "page_token" }, violations.Keys);
        Assert.Equal("is not a token from a previous page", violations["page_token"]);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(-1)]
    public async Task ListMessages_PageSizeOutOfRange_FailsInvalidArgumentOnPageSize(int pageSize)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest { PageSize = pageSize }, Dev, cancellationToken: Ct));

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        var violations = Violations(exception);
        Assert.Equal(new[] { "page_size" }, violations.Keys);
        Assert.Equal("must be 1..100", violations["page_size"]);
    }

    [Fact]
    public async Task ListMessages_PageSize100_IsAccepted()
    {
        var page = await server.Messaging.ListMessagesAsync(new ListMessagesRequest { PageSize = 100, Tag = Requests.UniqueTag("none") }, Dev, cancellationToken: Ct);

        Assert.Empty(page.Messages);
    }

    [Fact]
    public async Task ListMessages_InvalidTagAndUndefinedStatus_FailsWithBothViolations()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest { Tag = "a b", Status = (MessageStatus)99 }, Dev, cancellationToken: Ct));

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        var violations = Violations(exception);
        Assert.Equal(new[] { "status", "tag" }, violations.Keys.Order(StringComparer.Ordinal));
    }

    private async Task<Message> SendAsync(Metadata auth, string tag) =>
        (await server.Messaging.SendMessageAsync(Requests.Valid(tag), auth, cancellationToken: Ct)).Message;
}
