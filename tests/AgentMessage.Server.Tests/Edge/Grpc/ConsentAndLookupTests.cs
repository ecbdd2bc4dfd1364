using System.Net;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Server.Hosting;
using AgentMessage.Server.Infrastructure.Lookups;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static AgentMessage.Server.Tests.Support.ComplianceSupport;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>ConsentService, LookupService and the inbound ingress on the embedded default, through both faces.</summary>
public sealed class ConsentAndLookupTests(ComplianceServer shared) : IClassFixture<ComplianceServer>
{
    private readonly TestServer server = shared.Server;

    [Fact]
    public async Task Rest_ConsentRecorded_ThenInboundStop_Gives453_AndStartRestores()
    {
        var number = NewNumber();
        Assert.Equal((453, "CONSENT_REQUIRED"), await server.SendRestAsync(number));

        var (recorded, body) = await server.RecordConsentRestAsync(number);
        Assert.Equal(HttpStatusCode.OK, recorded.StatusCode);
        Assert.Equal("opted_in", (string)body["data"]!["status"]!);
        Assert.Equal("web form", (string)body["data"]!["source"]!);
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);

        await server.InboundAppliedAsync(number, "STOP", "opt_out");
        Assert.Equal((453, "CONSENT_REQUIRED"), await server.SendRestAsync(number));
        var (_, kept) = await server.Rest.CallAsync(Get($"/v1/consents/{number}", TestServer.DevKey));
        Assert.Equal("opted_out", (string)kept["data"]!["status"]!);
        Assert.NotNull(kept["data"]!["opted_out_at"]);

        await server.InboundAppliedAsync(number, "START", "opt_in");
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
        var (_, restored) = await server.Rest.CallAsync(Get($"/v1/consents/{number}", TestServer.DevKey));
        Assert.Equal("opted_in", (string)restored["data"]!["status"]!);
        Assert.Null(restored["data"]!["opted_out_at"]);
        Assert.Equal("inbound keyword START", (string)restored["data"]!["source"]!);
    }

    [Fact]
    public async Task Grpc_ConsentRecorded_ThenInboundStop_GivesConsentRequired_AndUnstopRestores()
    {
        var number = NewNumber();
        var consent = await server.Consents().RecordConsentAsync(new RecordConsentRequest { Number = number, Source = "paper form" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.Equal(ConsentStatus.OptedIn, consent.Consent.Status);
        Assert.Equal("OK", await server.SendGrpcAsync(number));

        await server.InboundAppliedAsync(number, " stop ", "opt_out");
        Assert.Equal("CONSENT_REQUIRED", await server.SendGrpcAsync(number));
        var stored = await server.Consents().GetConsentAsync(new GetConsentRequest { Number = number }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);
        Assert.Equal(ConsentStatus.OptedOut, stored.Consent.Status);
        Assert.NotNull(stored.Consent.OptedOutAt);

        await server.InboundAppliedAsync(number, "unstop", "opt_in");
        Assert.Equal("OK", await server.SendGrpcAsync(number));
    }

    [Fact]
    public async Task Rest_LandlineLookup_MakesTheNextSend422LineTypeBlocked()
    {
        // libphonenumber's plan says London 020 7946 is a fixed line.
        const string landline = "+442079460123";
        await server.RecordConsentRestAsync(landline);
        Assert.Equal(202, (await server.SendRestAsync(landline)).Status);

        var (response, body) = await server.Rest.CallAsync(Get($"/v1/lookups/{Uri.EscapeDataString(landline)}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(landline, (string)body["data"]!["number"]!);
        Assert.Equal("landline", (string)body["data"]!["line_type"]!);
        Assert.Equal("libphonenumber", (string)body["data"]!["source"]!);
        Assert.NotNull(body["data"]!["looked_up_at"]);
        Assert.Equal((422, "LINE_TYPE_BLOCKED"), await server.SendRestAsync(landline));
    }

    [Fact]
    public async Task Grpc_SimulatorTableLandlineLookup_MakesTheNextSendLineTypeBlocked()
    {
        // The seed already says landline; a mobile lookup first makes the number sendable again.
        await server.Services.GetRequiredService<ILineTypeRegistry>().RecordAsync(
            DevSeed.OrganizationId, new LineTypeLookup(SimulatorLineTypeProvider.LandlineNumber, Core.Compliance.LineType.Mobile, DateTimeOffset.UtcNow), Ct);
        Assert.Equal("OK", await server.SendGrpcAsync(SimulatorLineTypeProvider.LandlineNumber));

        var lookup = await server.Lookups().LookupNumberAsync(new LookupNumberRequest { Number = SimulatorLineTypeProvider.LandlineNumber }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct);

        Assert.Equal(V1.LineType.Landline, lookup.LineType);
        Assert.Equal("simulator", lookup.Source);
        Assert.Equal("LINE_TYPE_BLOCKED", await server.SendGrpcAsync(SimulatorLineTypeProvider.LandlineNumber));
    }

    [Theory]
    [InlineData("+15550100001", "mobile", "simulator")]
    [InlineData("+15550100002", "voip", "simulator")]
    [InlineData("+15550100003", "toll_free", "simulator")]
    [InlineData("+15550100004", "unknown", "simulator")]
    [InlineData("+447400123456", "mobile", "libphonenumber")]
    [InlineData("+445601234567", "voip", "libphonenumber")]
    [InlineData("+18005550199", "toll_free", "libphonenumber")]
    [InlineData("+14155552671", "unknown", "libphonenumber")] // FIXED_LINE_OR_MOBILE
    [InlineData("+15559876543", "unknown", "libphonenumber")] // fictional: not a valid number
    public async Task Rest_Lookup_ClassifiesWithTheTableFirstThenLibPhoneNumber(string number, string lineType, string source)
    {
        var (response, body) = await server.Rest.CallAsync(Get($"/v1/lookups/{number}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(lineType, (string)body["data"]!["line_type"]!);
        Assert.Equal(source, (string)body["data"]!["source"]!);
    }

    [Fact]
    public async Task Rest_PathNumber_PlusLiteralAndPercentEncodedAreTheSameNumber()
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (literal, literalBody) = await server.Rest.CallAsync(Get($"/v1/consents/{number}", TestServer.DevKey));
        var (encoded, encodedBody) = await server.Rest.CallAsync(Get($"/v1/consents/%2B{number[1..]}", TestServer.DevKey));
        var (lower, _) = await server.Rest.CallAsync(Get($"/v1/consents/%2b{number[1..]}", TestServer.DevKey));

        Assert.Equal(HttpStatusCode.OK, literal.StatusCode);
        Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        Assert.Equal(HttpStatusCode.OK, lower.StatusCode);
        Assert.Equal(number, (string)literalBody["data"]!["number"]!);
        Assert.Equal(number, (string)encodedBody["data"]!["number"]!);
    }

    [Fact]
    public async Task Rest_RevokeByPostVerbAndByDelete_KeepTheRecord_AndRecordingAgainClearsTheOptOut()
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (revoked, revokedBody) = await server.RevokeConsentRestAsync(number);
        var firstOptOut = (string)revokedBody["data"]!["opted_out_at"]!;
        var (deleted, deletedBody) = await server.Rest.CallAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/consents/{number}")
        {
            Headers = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestServer.DevKey) },
        });

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("opted_out", (string)revokedBody["data"]!["status"]!);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(firstOptOut, (string)deletedBody["data"]!["opted_out_at"]!); // revoking twice keeps the first opt-out
        Assert.Equal(453, (await server.SendRestAsync(number)).Status);

        var (again, againBody) = await server.RecordConsentRestAsync(number, source: "re-subscribed online");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Null(againBody["data"]!["opted_out_at"]);
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
    }

    [Fact]
    public async Task Rest_UnknownConsent_Is404_ForGetAndRevoke()
    {
        var (get, getBody) = await server.Rest.CallAsync(Get($"/v1/consents/{NewNumber()}", TestServer.DevKey));
        var (revoke, _) = await server.RevokeConsentRestAsync(NewNumber());

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        AssertJsonEqual(ExpectedError(get, "NOT_FOUND", "consent not found"), getBody);
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
    }

    [Fact]
    public async Task OrganizationA_CannotSeeOrAffectOrganizationB_OnEitherFace()
    {
        var orgB = $"org_b_{Guid.NewGuid():N}";
        var numberOfB = NewNumber();
        var keyB = await server.AddOrganizationAsync(orgB, [Scopes.ConsentsWrite, Scopes.MessagesSend], ownedNumber: NewNumber());
        await server.RecordConsentRestAsync(numberOfB, keyB);
        var numberOfA = NewNumber();
        await server.RecordConsentRestAsync(numberOfA);

        var (get, _) = await server.Rest.CallAsync(Get($"/v1/consents/{numberOfB}", TestServer.DevKey));
        var (revoke, _) = await server.RevokeConsentRestAsync(numberOfB);
        var grpcGet = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Consents().GetConsentAsync(new GetConsentRequest { Number = numberOfB }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        var grpcRevoke = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Consents().RevokeConsentAsync(new RevokeConsentRequest { Number = numberOfB }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        var listA = await ListAllAsync(TestServer.DevKey);
        var listB = await ListAllAsync(keyB);
        var (bSeesA, _) = await server.Rest.CallAsync(Get($"/v1/consents/{numberOfA}", keyB));

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        RpcErrors.AssertError(grpcGet, StatusCode.NotFound, "NOT_FOUND", "consent not found");
        RpcErrors.AssertError(grpcRevoke, StatusCode.NotFound, "NOT_FOUND", "consent not found");
        Assert.DoesNotContain(numberOfB, listA);
        Assert.Contains(numberOfA, listA);
        Assert.Equal([numberOfB], listB);
        Assert.Equal(HttpStatusCode.NotFound, bSeesA.StatusCode);
        var (stillB, stillBody) = await server.Rest.CallAsync(Get($"/v1/consents/{numberOfB}", keyB));
        Assert.Equal(HttpStatusCode.OK, stillB.StatusCode);
        Assert.Equal("opted_in", (string)stillBody["data"]!["status"]!);
    }

    [Fact]
    public async Task Inbound_StopToAnotherOrganizationsNumber_OptsOutOnlyOfThatOrganization()
    {
        var orgB = $"org_b_{Guid.NewGuid():N}";
        var numberOfOrgB = NewNumber();
        var sender = NewNumber();
        var keyB = await server.AddOrganizationAsync(orgB, [Scopes.ConsentsWrite, Scopes.MessagesSend], ownedNumber: numberOfOrgB, consentingRecipient: sender);
        await server.RecordConsentRestAsync(sender);

        var (response, body) = await server.PostInboundAsync(InboundBody(sender, "STOP", to: numberOfOrgB));

        Assert.True((bool)body["data"]!["applied"]!);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((453, "CONSENT_REQUIRED"), await server.SendRestAsync(sender, keyB, from: numberOfOrgB));
        Assert.Equal(202, (await server.SendRestAsync(sender)).Status);
    }

    [Fact]
    public async Task ListConsents_PagesInNumberOrder_WithATokenThatRoundTrips()
    {
        var org = $"org_list_{Guid.NewGuid():N}";
        var key = await server.AddOrganizationAsync(org, [Scopes.ConsentsWrite]);
        string[] numbers = ["+15550000105", "+15550000101", "+15550000103", "+15550000102", "+15550000104"];
        foreach (var number in numbers)
        {
            await server.RecordConsentRestAsync(number, key);
        }

        var (first, firstBody) = await server.Rest.CallAsync(Get("/v1/consents?page_size=2", key));
        var token = (string)firstBody["data"]!["next_page_token"]!;
        var second = await server.Consents().ListConsentsAsync(new ListConsentsRequest { PageSize = 2, PageToken = token }, TestServer.Bearer(key), cancellationToken: Ct);
        var third = await server.Consents().ListConsentsAsync(new ListConsentsRequest { PageSize = 2, PageToken = second.NextPageToken }, TestServer.Bearer(key), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(["+15550000101", "+15550000102"], firstBody["data"]!["consents"]!.AsArray().Select(c => (string)c!["number"]!));
        Assert.Equal(["+15550000103", "+15550000104"], second.Consents.Select(c => c.Number));
        Assert.Equal(["+15550000105"], third.Consents.Select(c => c.Number));
        Assert.Equal(string.Empty, third.NextPageToken);
    }

    [Theory]
    [InlineData(Scopes.MessagesSend, "GET", "/v1/consents/+15554443333", "consents:write")]
    [InlineData(Scopes.MessagesRead, "GET", "/v1/consents", "consents:write")]
    [InlineData(Scopes.LookupsRead, "POST", "/v1/consents", "consents:write")]
    [InlineData(Scopes.LookupsRead, "DELETE", "/v1/consents/+15554443333", "consents:write")]
    [InlineData(Scopes.ConsentsWrite, "GET", "/v1/lookups/+15550100000", "lookups:read")]
    public async Task Rest_WithoutTheScope_Is403NamingIt(string scope, string method, string path, string needed)
    {
        var key = await server.AddKeyAsync(scopes: [scope]);
        var request = method == "POST"
            ? Json(HttpMethod.Post, path, key, """{"number":"+15554443333","source":"x"}""")
            : new HttpRequestMessage(new HttpMethod(method), path) { Headers = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key) } };

        var (response, body) = await server.Rest.CallAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "FORBIDDEN", "missing required scope", new Dictionary<string, string> { ["scope"] = needed }), body);
    }

    [Fact]
    public async Task Grpc_WithoutTheScope_IsPermissionDenied()
    {
        var key = await server.AddKeyAsync(scopes: [Scopes.MessagesSend, Scopes.MessagesRead]);

        var consent = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Consents().RecordConsentAsync(new RecordConsentRequest { Number = NewNumber(), Source = "x" }, TestServer.Bearer(key), cancellationToken: Ct));
        var lookup = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Lookups().LookupNumberAsync(new LookupNumberRequest { Number = NewNumber() }, TestServer.Bearer(key), cancellationToken: Ct));

        Assert.Equal("consents:write", RpcErrors.AssertError(consent, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope").Metadata["scope"]);
        Assert.Equal("lookups:read", RpcErrors.AssertError(lookup, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope").Metadata["scope"]);
    }

    [Fact]
    public async Task Rest_Unauthenticated_Is401BeforeAnyBodyCheck()
    {
        var (response, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/consents", null, "not json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"number":"15554443333","source":"web"}""", "number", "must be E.164")]
    [InlineData("""{"number":"+15554443333","source":"  "}""", "source", "must be 1..200 characters, not blank, without control characters")]
    [InlineData("""{"number":"+15554443333"}""", "source", "must be 1..200 characters, not blank, without control characters")]
    [InlineData("""{"number":"+15554443333","source":"web\u0000form"}""", "source", "must be 1..200 characters, not blank, without control characters")]
    [InlineData("""{"number":"+15554443333","source":"web","opted_in_at":"2999-01-01T00:00:00Z"}""", "opted_in_at", "must not be in the future")]
    public async Task Rest_RecordConsent_BadFields_Are422WithDetails(string requestBody, string field, string problem)
    {
        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/consents", TestServer.DevKey, requestBody));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Theory]
    [InlineData("/v1/consents/not-a-number", "number", "must be E.164")]
    [InlineData("/v1/lookups/0044123", "number", "must be E.164")]
    [InlineData("/v1/consents?page_size=101", "page_size", "must be 1..100")]
    [InlineData("/v1/consents?page_size=abc", "page_size", "must be an integer")]
    [InlineData("/v1/consents?page_token=garbage", "page_token", "is not a token this service issued")]
    public async Task Rest_BadReadInput_Is422WithDetails(string path, string field, string problem)
    {
        var (response, body) = await server.Rest.CallAsync(Get(path, TestServer.DevKey));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
    }

    [Fact]
    public async Task Grpc_BadInput_IsInvalidArgumentWithFieldViolations()
    {
        var record = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Consents().RecordConsentAsync(new RecordConsentRequest { Number = "abc" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));
        var lookup = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Lookups().LookupNumberAsync(new LookupNumberRequest { Number = "+0123" }, TestServer.Bearer(TestServer.DevKey), cancellationToken: Ct));

        RpcErrors.AssertError(record, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        Assert.Equal(["number", "source"], RpcErrors.Violations(record).Keys.Order());
        Assert.Equal("must be E.164", RpcErrors.Violations(lookup)["number"]);
    }

    [Theory]
    [InlineData(" stop ", "opt_out", "STOP")]
    [InlineData("Unsubscribe", "opt_out", "UNSUBSCRIBE")]
    [InlineData("STOPALL", "opt_out", "STOPALL")]
    [InlineData("cancel", "opt_out", "CANCEL")]
    [InlineData("\tEnd\r\n", "opt_out", "END")]
    [InlineData("QuIt", "opt_out", "QUIT")]
    public async Task Inbound_OptOutKeywordVariants_WithdrawConsent(string text, string action, string keyword)
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (response, body) = await server.PostInboundAsync(InboundBody(number, text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messageId = (string)body["data"]!["message_id"]!;
        Assert.True(Guid.TryParseExact(messageId, "D", out _), messageId);
        AssertJsonEqual(new System.Text.Json.Nodes.JsonObject { ["success"] = true, ["data"] = new System.Text.Json.Nodes.JsonObject { ["applied"] = true, ["action"] = action, ["keyword"] = keyword, ["message_id"] = messageId } }, body);
        Assert.Equal(453, (await server.SendRestAsync(number)).Status);
    }

    [Theory]
    [InlineData(" help ", "HELP")]
    [InlineData("Info", "INFO")]
    public async Task Inbound_HelpKeywords_AreHelp_AndChangeNoConsent(string text, string keyword)
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (response, body) = await server.PostInboundAsync(InboundBody(number, text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("help", keyword, false), ((string)body["data"]!["action"]!, (string)body["data"]!["keyword"]!, (bool)body["data"]!["applied"]!));
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
    }

    [Theory]
    [InlineData("help me")]
    [InlineData("stop it")]
    [InlineData("STOP.")]
    [InlineData("S T O P")]
    [InlineData("hello")]
    [InlineData("")]
    public async Task Inbound_NonKeywords_ChangeNothing(string text)
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (response, body) = await server.PostInboundAsync(InboundBody(number, text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)body["data"]!["applied"]!);
        Assert.Equal("none", (string)body["data"]!["action"]!);
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
    }

    [Fact]
    public async Task Inbound_ToANumberNoOrganizationOwns_Is200WithNothingAppliedAndNoMessage()
    {
        var (unknown, unknownBody) = await server.PostInboundAsync(InboundBody(NewNumber(), "STOP", to: NewNumber()));

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        AssertJsonEqual(
            new System.Text.Json.Nodes.JsonObject { ["success"] = true, ["data"] = new System.Text.Json.Nodes.JsonObject { ["applied"] = false, ["action"] = "opt_out", ["keyword"] = "STOP" } },
            unknownBody);
    }

    [Fact]
    public async Task Inbound_StartWithoutAnyEarlierConsent_CreatesNone()
    {
        var number = NewNumber();

        var (_, body) = await server.PostInboundAsync(InboundBody(number, "START"));

        Assert.False((bool)body["data"]!["applied"]!);
        Assert.Equal(453, (await server.SendRestAsync(number)).Status);
    }

    [Fact]
    public async Task Inbound_WithAnotherSecret_Is401_AndChangesNothing()
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);

        var (response, body) = await server.PostInboundAsync(InboundBody(number, "STOP"), secret: "not-the-carrier-secret-0000");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "invalid inbound signature"), body);
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
    }

    [Fact]
    public async Task Inbound_OutsideTheReplayWindow_Is401()
    {
        var number = NewNumber();
        await server.RecordConsentRestAsync(number);
        var stale = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (response, body) = await server.PostInboundAsync(InboundBody(number, "STOP"), timestamp: stale);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertJsonEqual(ExpectedError(response, "UNAUTHORIZED", "inbound timestamp outside the replay window"), body);
        Assert.Equal(202, (await server.SendRestAsync(number)).Status);
    }

    [Fact]
    public async Task Inbound_BadFields_Are422WithDetails_AndNonJsonIs400()
    {
        var (invalid, invalidBody) = await server.PostInboundAsync("""{"from":"12345","to":"+1"}""");
        var (notJson, notJsonBody) = await server.PostInboundAsync("STOP");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        AssertJsonEqual(ExpectedError(invalid, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
        {
            ["from"] = "must be E.164",
            ["to"] = "must be E.164",
            ["text"] = "is required",
        }), invalidBody);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        AssertJsonEqual(ExpectedError(notJson, "BAD_REQUEST", "inbound body is not valid JSON"), notJsonBody);
    }

    private async Task<List<string>> ListAllAsync(string key)
    {
        var numbers = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await server.Consents().ListConsentsAsync(new ListConsentsRequest { PageSize = 100, PageToken = token }, TestServer.Bearer(key), cancellationToken: Ct);
            numbers.AddRange(page.Consents.Select(c => c.Number));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return numbers;
    }
}
