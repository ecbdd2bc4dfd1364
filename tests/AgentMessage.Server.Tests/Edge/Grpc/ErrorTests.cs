using AgentMessage.Core.Access;
using AgentMessage.Core.Messaging;
using AgentMessage.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>
/// Every row of the error table (docs/API.md section 3) reachable through the native gRPC face: the
/// status code, ErrorInfo (reason, domain, request_id) in grpc-status-details-bin, BadRequest field
/// violations and RetryInfo where they apply, and the status message.
/// </summary>
public sealed class ErrorTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    private readonly TestServer server = fixture.Server;

    private static Metadata Dev => TestServer.Bearer(TestServer.DevKey);

    // ---- UNAUTHORIZED ----------------------------------------------------------------------

    [Fact]
    public async Task SendMessage_WithoutKey_FailsUnauthenticated()
    {
        var exception = await SendFailsAsync(Requests.Valid(), new Metadata());

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task SendMessage_MalformedKey_FailsUnauthenticated()
    {
        var exception = await SendFailsAsync(Requests.Valid(), new Metadata { { "authorization", "Bearer nope" } });

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task SendMessage_NotBearerScheme_FailsUnauthenticated()
    {
        var exception = await SendFailsAsync(Requests.Valid(), new Metadata { { "authorization", $"Basic {TestServer.DevKey}" } });

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task SendMessage_UnknownWellFormedKey_FailsUnauthenticated()
    {
        var exception = await SendFailsAsync(Requests.Valid(), TestServer.Bearer(ApiKeyFormat.Generate()));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task SendMessage_RevokedKey_FailsUnauthenticated()
    {
        var revoked = await server.AddKeyAsync(revoked: true);

        var exception = await SendFailsAsync(Requests.Valid(), TestServer.Bearer(revoked));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task GetMessage_WithoutKey_FailsUnauthenticated()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = Guid.NewGuid().ToString("D") }, new Metadata(), cancellationToken: Ct));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task ListMessages_RevokedKey_FailsUnauthenticated()
    {
        var revoked = await server.AddKeyAsync(revoked: true);

        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(revoked), cancellationToken: Ct));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task SendMessage_InvalidRequestWithoutKey_FailsUnauthenticatedNotValidation()
    {
        // Authentication comes before the shape of the request (docs/API.md section 5).
        var exception = await SendFailsAsync(new SendMessageRequest { To = "12" }, new Metadata());

        AssertUnauthorized(exception);
    }

    // ---- FORBIDDEN -------------------------------------------------------------------------

    [Fact]
    public async Task SendMessage_ReadOnlyKey_FailsPermissionDenied()
    {
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var exception = await SendFailsAsync(Requests.Valid(), TestServer.Bearer(readOnly));

        AssertForbidden(exception);
    }

    [Fact]
    public async Task SendMessage_ReadOnlyKeyAndInvalidRequest_FailsPermissionDeniedNotValidation()
    {
        // The scope comes before the shape of the request (docs/API.md section 5).
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var exception = await SendFailsAsync(new SendMessageRequest { To = "12" }, TestServer.Bearer(readOnly));

        AssertForbidden(exception);
    }

    [Fact]
    public async Task GetMessage_SendOnlyKey_FailsPermissionDenied()
    {
        var sendOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesSend]);
        var sent = await server.Messaging.SendMessageAsync(Requests.Valid(), TestServer.Bearer(sendOnly), cancellationToken: Ct);

        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.GetMessageAsync(new GetMessageRequest { Id = sent.Message.Id }, TestServer.Bearer(sendOnly), cancellationToken: Ct));

        AssertForbidden(exception);
    }

    [Fact]
    public async Task ListMessages_SendOnlyKey_FailsPermissionDenied()
    {
        var sendOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesSend]);

        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(sendOnly), cancellationToken: Ct));

        AssertForbidden(exception);
    }

    [Fact]
    public async Task PermissionDenied_ErrorInfoNamesTheMissingScope()
    {
        // docs/API.md section 3, FORBIDDEN: "details name the scope". On gRPC the only place for that is ErrorInfo.metadata.
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);
        var sendOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesSend]);

        var send = await SendFailsAsync(Requests.Valid(), TestServer.Bearer(readOnly));
        var list = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(sendOnly), cancellationToken: Ct));

        var sendInfo = AssertError(send, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope");
        var listInfo = AssertError(list, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope");
        Assert.True(sendInfo.Metadata.TryGetValue("scope", out var sendScope), "no scope in ErrorInfo.metadata");
        Assert.Equal(Scopes.MessagesSend, sendScope);
        Assert.True(listInfo.Metadata.TryGetValue("scope", out var listScope), "no scope in ErrorInfo.metadata");
        Assert.Equal(Scopes.MessagesRead, listScope);
    }

    // ---- VALIDATION_FAILED -----------------------------------------------------------------

    [Fact]
    public async Task SendMessage_ToNotE164_FailsValidationOnTo()
    {
        var request = Requests.Valid();
        request.To = "12";

        await AssertSingleViolationAsync(request, "to", "must be E.164");
    }

    [Theory]
    [InlineData("15554443333")] // no plus
    [InlineData("+05554443333")] // leading zero
    [InlineData("+123456")] // 6 digits
    [InlineData("+1234567890123456")] // 16 digits
    [InlineData("+1555444333a")]
    public async Task SendMessage_ToBadE164Syntax_FailsValidationOnTo(string to)
    {
        var request = Requests.Valid();
        request.To = to;

        await AssertSingleViolationAsync(request, "to", "must be E.164");
    }

    [Fact]
    public async Task SendMessage_FromNotE164_FailsValidationOnFrom()
    {
        var request = Requests.Valid();
        request.From = "12";

        await AssertSingleViolationAsync(request, "from", "must be E.164");
    }

    [Fact]
    public async Task SendMessage_FromNotOwned_FailsValidationOnFrom()
    {
        var request = Requests.Valid();
        request.From = "+15557770000";

        await AssertSingleViolationAsync(request, "from", "is not a number your organization owns");
    }

    [Fact]
    public async Task SendMessage_ToEqualsFrom_FailsValidationOnTo()
    {
        var request = Requests.Valid();
        request.To = request.From;

        await AssertSingleViolationAsync(request, "to", "must differ from from");
    }

    [Fact]
    public async Task SendMessage_EmptyTextWithoutMedia_FailsValidationOnText()
    {
        var request = Requests.Valid();
        request.Text = string.Empty;

        await AssertSingleViolationAsync(request, "text", "must be 1..1600 characters");
    }

    [Fact]
    public async Task SendMessage_TextOf1601Characters_FailsValidationOnText()
    {
        var request = Requests.Valid();
        request.Text = new string('a', 1601);

        await AssertSingleViolationAsync(request, "text", "must be 1..1600 characters");
    }

    [Fact]
    public async Task SendMessage_TagWithSpace_FailsValidationOnTag()
    {
        var request = Requests.Valid();
        request.Tag = "order 7421";

        await AssertSingleViolationAsync(request, "tag", "must be 1..64 characters of A-Z a-z 0-9 . _ : -");
    }

    [Fact]
    public async Task SendMessage_EmptyTag_FailsValidationOnTag()
    {
        var request = Requests.Valid();
        request.Tag = string.Empty; // present but empty: not the same as absent

        await AssertSingleViolationAsync(request, "tag", "must be 1..64 characters of A-Z a-z 0-9 . _ : -");
    }

    [Fact]
    public async Task SendMessage_TagOf65Characters_FailsValidationOnTag()
    {
        var request = Requests.Valid();
        request.Tag = new string('t', 65);

        await AssertSingleViolationAsync(request, "tag", "must be 1..64 characters of A-Z a-z 0-9 . _ : -");
    }

    [Fact]
    public async Task SendMessage_UndefinedPriority_FailsValidationOnPriority()
    {
        var request = Requests.Valid();
        request.Priority = (Priority)99;

        await AssertSingleViolationAsync(request, "priority", "must be one of: default, high");
    }

    [Fact]
    public async Task SendMessage_ElevenMedia_FailsValidationOnMedia()
    {
        var request = Requests.Valid();
        request.Media.AddRange(Enumerable.Range(0, 11).Select(i => $"https://example.com/{i}.png"));

        await AssertSingleViolationAsync(request, "media", "must have at most 10 items");
    }

    [Fact]
    public async Task SendMessage_FtpMediaUrl_FailsValidationOnMediaEntry()
    {
        var request = Requests.Valid();
        request.Media.Add("ftp://x");

        await AssertSingleViolationAsync(request, "media[0]", "must be a media_id or an https:// URL");
    }

    [Fact]
    public async Task SendMessage_BadSecondMediaEntry_NamesItsPosition()
    {
        var request = Requests.Valid();
        request.Media.Add("https://example.com/a.png");
        request.Media.Add("http://example.com/b.png");

        await AssertSingleViolationAsync(request, "media[1]", "must be a media_id or an https:// URL");
    }

    [Fact]
    public async Task SendMessage_UnknownMediaId_FailsValidationOnMediaEntry()
    {
        // Uploads do not exist yet, so no media_id names an upload of this organization.
        var request = Requests.Valid();
        request.Media.Add(Guid.NewGuid().ToString("D"));

        await AssertSingleViolationAsync(request, "media[0]", "is not an uploaded media_id of your organization");
    }

    [Fact]
    public async Task SendMessage_SeveralProblems_ReportsEveryViolation()
    {
        var request = new SendMessageRequest
        {
            From = "nope",
            To = "12",
            Text = string.Empty,
            Priority = (Priority)99,
            Tag = "a b",
        };

        var exception = await SendFailsAsync(request, Dev);

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        var violations = Violations(exception);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["from"] = "must be E.164",
                ["to"] = "must be E.164",
                ["text"] = "must be 1..1600 characters",
                ["priority"] = "must be one of: default, high",
                ["tag"] = "must be 1..64 characters of A-Z a-z 0-9 . _ : -",
            },
            violations);
    }

    [Fact]
    public async Task SendMessage_SeveralBadMediaEntries_ReportsEachPosition()
    {
        var request = Requests.Valid();
        request.Media.Add("ftp://x");
        request.Media.Add("https://example.com/ok.png");
        request.Media.Add("not a url");

        var exception = await SendFailsAsync(request, Dev);

        AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        Assert.Equal(new[] { "media[0]", "media[2]" }, Violations(exception).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SendMessage_BodyOver64KiB_FailsInvalidArgumentWithPayloadTooLarge()
    {
        // docs/API.md section 3: PAYLOAD_TOO_LARGE is INVALID_ARGUMENT on gRPC; RESOURCE_EXHAUSTED would read as RATE_LIMITED.
        var request = Requests.Valid();
        request.Text = new string('a', 70_000);

        var exception = await SendFailsAsync(request, Dev);

        AssertError(exception, StatusCode.InvalidArgument, "PAYLOAD_TOO_LARGE", message: null);
    }

    [Fact]
    public async Task SendMessage_ValidationAfterRateLimit_ReportsRateLimitState()
    {
        var unowned = Requests.Valid();
        unowned.From = "+15557770000";
        var unknownMedia = Requests.Valid();
        unknownMedia.Media.Add(Guid.NewGuid().ToString("D"));

        foreach (var request in new[] { unowned, unknownMedia })
        {
            var exception = await SendFailsAsync(request, Dev);

            AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
            Assert.Equal("100", exception.Trailers.GetValue("ratelimit-limit"));
            Assert.NotNull(exception.Trailers.GetValue("ratelimit-remaining"));
            Assert.NotNull(exception.Trailers.GetValue("ratelimit-reset"));
        }
    }

    // ---- CONSENT_REQUIRED, LINE_TYPE_BLOCKED ---------------------------------------------

    [Fact]
    public async Task SendMessage_WithoutConsent_FailsPreconditionWithConsentRequired()
    {
        var request = Requests.Valid();
        request.To = "+15559990000";

        var exception = await SendFailsAsync(request, Dev);

        var info = AssertError(exception, StatusCode.FailedPrecondition, "CONSENT_REQUIRED", "consent required");
        Assert.Null(exception.GetRpcStatus()!.GetDetail<BadRequest>());
        Assert.Null(exception.GetRpcStatus()!.GetDetail<RetryInfo>());
        Assert.Equal(new[] { "request_id" }, info.Metadata.Keys);

        // The refused send spent a token (rate limit before business rules) and says so.
        Assert.Equal("100", exception.Trailers.GetValue("ratelimit-limit"));
        Assert.NotNull(exception.Trailers.GetValue("ratelimit-remaining"));
    }

    [Fact]
    public async Task SendMessage_ConsentGivenToAnotherOrganization_FailsConsentRequired()
    {
        // +15554443333 consented to the development organization, not to this one.
        var key = await server.AddOrganizationAsync($"org_noconsent_{Guid.NewGuid():N}", Scopes.All, ownedNumber: "+15554440001");
        var request = new SendMessageRequest { From = "+15554440001", To = Requests.ConsentingRecipient, Text = "hi" };

        var exception = await SendFailsAsync(request, TestServer.Bearer(key));

        AssertError(exception, StatusCode.FailedPrecondition, "CONSENT_REQUIRED", "consent required");
    }

    [Fact]
    public async Task SendMessage_ToRecentLandline_FailsPreconditionWithLineTypeBlocked()
    {
        var request = Requests.Valid();
        request.To = Requests.LandlineRecipient;

        var exception = await SendFailsAsync(request, Dev);

        AssertError(exception, StatusCode.FailedPrecondition, "LINE_TYPE_BLOCKED", "recipient is a landline");
        Assert.Null(exception.GetRpcStatus()!.GetDetail<BadRequest>());
    }

    // ---- RATE_LIMITED ----------------------------------------------------------------------

    [Fact]
    public async Task SendMessage_BucketEmpty_FailsResourceExhaustedWithRetryInfo()
    {
        await using var limited = await TestServer.StartAsync(SlowBucket(burst: 2));

        using (var first = limited.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct))
        {
            await first;
            var headers = await first.ResponseHeadersAsync;
            Assert.Equal("2", headers.GetValue("ratelimit-limit"));
            Assert.Equal("1", headers.GetValue("ratelimit-remaining"));
        }

        using (var second = limited.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct))
        {
            await second;
            Assert.Equal("0", (await second.ResponseHeadersAsync).GetValue("ratelimit-remaining"));
        }

        var exception = await SendFailsAsync(Requests.Valid(), Dev, limited);

        AssertError(exception, StatusCode.ResourceExhausted, "RATE_LIMITED", "rate limited");
        var retry = exception.GetRpcStatus()!.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.True(retry.RetryDelay.Seconds >= 1, $"retry delay {retry.RetryDelay} is under a second");
        Assert.Equal(0, retry.RetryDelay.Nanos);
        Assert.Equal(retry.RetryDelay.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Trailers.GetValue("retry-after"));
        Assert.Equal("2", exception.Trailers.GetValue("ratelimit-limit"));
        Assert.Equal("0", exception.Trailers.GetValue("ratelimit-remaining"));
    }

    [Fact]
    public async Task SendMessage_ValidationFailure_SpendsNoRateLimitToken()
    {
        // Shape comes before the rate limit (docs/API.md section 5).
        await using var limited = await TestServer.StartAsync(SlowBucket(burst: 1));
        var invalid = Requests.Valid();
        invalid.To = "12";

        var rejected = await SendFailsAsync(invalid, Dev, limited);
        var accepted = await limited.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);

        Assert.Equal(StatusCode.InvalidArgument, rejected.StatusCode);
        Assert.Equal(MessageStatus.Queued, accepted.Message.Status);
    }

    [Fact]
    public async Task SendMessage_BusinessRuleFailure_SpendsARateLimitToken()
    {
        // Business rules come after the rate limit (docs/API.md section 5), so a refused send still costs.
        await using var limited = await TestServer.StartAsync(SlowBucket(burst: 1));
        var noConsent = Requests.Valid();
        noConsent.To = "+15559990000";

        var refused = await SendFailsAsync(noConsent, Dev, limited);
        var limitedOut = await SendFailsAsync(Requests.Valid(), Dev, limited);

        AssertError(refused, StatusCode.FailedPrecondition, "CONSENT_REQUIRED", "consent required");
        AssertError(limitedOut, StatusCode.ResourceExhausted, "RATE_LIMITED", "rate limited");
    }

    [Fact]
    public async Task SendMessage_RateLimited_BeforeConsentCheck()
    {
        // Rate limit before business rules: an empty bucket answers RATE_LIMITED even for a send that would need consent.
        await using var limited = await TestServer.StartAsync(SlowBucket(burst: 1));
        await limited.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);
        var noConsent = Requests.Valid();
        noConsent.To = "+15559990000";

        var exception = await SendFailsAsync(noConsent, Dev, limited);

        AssertError(exception, StatusCode.ResourceExhausted, "RATE_LIMITED", "rate limited");
    }

    // ---- MMS_DISABLED ----------------------------------------------------------------------

    [Fact]
    public async Task SendMessage_MediaWhileMmsDisabled_FailsUnavailableWithMmsDisabled()
    {
        await using var noMms = await TestServer.StartAsync(new Dictionary<string, string> { ["AgentMessage:Media:MmsEnabled"] = "false" });
        var request = Requests.Valid();
        request.Media.Add("https://example.com/a.png");

        var exception = await SendFailsAsync(request, Dev, noMms);
        var smsStillWorks = await noMms.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);

        AssertError(exception, StatusCode.Unavailable, "MMS_DISABLED", "mms subsystem disabled");
        Assert.Equal(Channel.Sms, smsStillWorks.Message.Channel);

        // With MMS on (the default) the same request is accepted as MMS:
        // MessagingServiceTests.SendMessage_WithHttpsMedia_IsAcceptedAsMms.
    }

    // MMS switched off is a service condition, like a dependency being down: it is answered before
    // the rate limit, so a client whose media cannot be sent at all spends no token on it.
    [Fact]
    public async Task SendMessage_MediaWhileMmsDisabled_SpendsNoToken()
    {
        await using var noMms = await TestServer.StartAsync(new Dictionary<string, string>(SlowBucket(burst: 1))
        {
            ["AgentMessage:Media:MmsEnabled"] = "false",
        });
        var request = Requests.Valid();
        request.Media.Add("https://example.com/a.png");

        var refused = await SendFailsAsync(request, Dev, noMms);
        var next = await noMms.Messaging.SendMessageAsync(Requests.Valid(), Dev, cancellationToken: Ct);

        AssertError(refused, StatusCode.Unavailable, "MMS_DISABLED", "mms subsystem disabled");
        Assert.Equal(MessageStatus.Queued, next.Message.Status);
    }

    // ---- UNIMPLEMENTED ---------------------------------------------------------------------

    [Fact]
    public async Task CreateMediaUpload_WithoutKey_FailsUnauthenticated()
    {
        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.CreateMediaUploadAsync(new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = 10 }, new Metadata(), cancellationToken: Ct));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task CreateMediaUpload_ReadOnlyKey_FailsPermissionDenied()
    {
        var readOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesRead]);

        var exception = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.CreateMediaUploadAsync(new CreateMediaUploadRequest { MimeType = "image/png", ByteSize = 10 }, TestServer.Bearer(readOnly), cancellationToken: Ct));

        AssertForbidden(exception);
    }

    [Fact]
    public async Task StreamStatus_UnknownMessageId_FailsNotFoundBeforeAnyEvent()
    {
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest { MessageIds = { Guid.NewGuid().ToString("D") } }, Dev, cancellationToken: Ct);

        var exception = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.NotFound, exception.StatusCode);
        Assert.Equal("NOT_FOUND", exception.GetRpcStatus()!.GetDetail<ErrorInfo>()!.Reason);
    }

    [Fact]
    public async Task StreamStatus_WithoutKey_FailsUnauthenticated()
    {
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest(), new Metadata(), cancellationToken: Ct);

        var exception = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(Ct));

        AssertUnauthorized(exception);
    }

    [Fact]
    public async Task StreamStatus_SendOnlyKey_FailsPermissionDenied()
    {
        var sendOnly = await server.AddKeyAsync(scopes: [Scopes.MessagesSend]);
        using var call = server.Messaging.StreamStatus(new StreamStatusRequest(), TestServer.Bearer(sendOnly), cancellationToken: Ct);

        var exception = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(Ct));

        AssertForbidden(exception);
    }

    // ---- INTERNAL --------------------------------------------------------------------------

    [Fact]
    public async Task SendMessage_StoreThrows_FailsInternalWithoutLeakingDetail()
    {
        await using var broken = await TestServer.StartAsync(overrideServices: s => s.AddSingleton<ISendAdmission>(new ThrowingSendAdmission()));

        var exception = await SendFailsAsync(Requests.Valid(), Dev, broken);

        var info = AssertError(exception, StatusCode.Internal, "INTERNAL", "internal error");
        Assert.Equal(new[] { "request_id" }, info.Metadata.Keys);
        var status = exception.GetRpcStatus()!;
        Assert.True(Assert.Single(status.Details).Is(ErrorInfo.Descriptor)); // ErrorInfo only
        Assert.DoesNotContain("secret", exception.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Null(exception.Status.DebugException);
        Assert.DoesNotContain("secret", status.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("InvalidOperationException", status.ToString(), StringComparison.Ordinal);
        foreach (var entry in exception.Trailers)
        {
            var value = entry.IsBinary ? System.Text.Encoding.UTF8.GetString(entry.ValueBytes) : entry.Value;
            Assert.DoesNotContain("secret", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InvalidOperationException", value, StringComparison.Ordinal);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static Dictionary<string, string> SlowBucket(int burst) => new()
    {
        ["AgentMessage:RateLimits:Send:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AgentMessage:RateLimits:Send:PerSecond"] = "0.01",
    };

    private async Task<RpcException> SendFailsAsync(SendMessageRequest request, Metadata headers, TestServer? target = null) =>
        await Assert.ThrowsAsync<RpcException>(async () =>
            await (target ?? server).Messaging.SendMessageAsync(request, headers, cancellationToken: Ct));

    private async Task AssertSingleViolationAsync(SendMessageRequest request, string field, string description)
    {
        var exception = await SendFailsAsync(request, Dev);

        var info = AssertError(exception, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        Assert.Equal(new[] { "request_id" }, info.Metadata.Keys);
        Assert.Equal(new Dictionary<string, string> { [field] = description }, Violations(exception));
    }

    private static void AssertUnauthorized(RpcException exception)
    {
        var info = AssertError(exception, StatusCode.Unauthenticated, "UNAUTHORIZED", "authentication failed");

        // "authentication failed", nothing more: no hint of which check failed.
        Assert.Equal(new[] { "request_id" }, info.Metadata.Keys);
        Assert.True(Assert.Single(exception.GetRpcStatus()!.Details).Is(ErrorInfo.Descriptor));
    }

    private static void AssertForbidden(RpcException exception)
    {
        var info = AssertError(exception, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope");
        Assert.Null(exception.GetRpcStatus()!.GetDetail<BadRequest>());
    }
}
