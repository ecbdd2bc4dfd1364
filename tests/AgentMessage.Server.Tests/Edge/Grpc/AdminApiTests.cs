using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Core.Compliance;
using AgentMessage.Core.Delivery;
using AgentMessage.Server.Infrastructure.InMemory.Compliance;
using AgentMessage.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static AgentMessage.Server.Tests.Edge.Grpc.RpcErrors;
using static AgentMessage.Server.Tests.Support.RestRequests;

namespace AgentMessage.Server.Tests.Edge.Grpc;

/// <summary>The operator API on the embedded default, through both faces.</summary>
public sealed class AdminApiTests(AdminServer fixture) : IClassFixture<AdminServer>
{
    private const string Recipient = "+15556660001";

    private readonly TestServer server = fixture.Server;

    [Fact]
    public async Task Rest_OperatorBootstrapsACustomer_ReadOnlyKeyIsForbiddenToSend_SendKeySends()
    {
        var (created, createdBody) = await server.AdminAsync(HttpMethod.Post, "/v1/admin/organizations",
            """{"name": "Acme", "send_rate_limit": {"burst": 5, "per_second": 2}, "mms_enabled": false}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var org = (string)createdBody["data"]!["id"]!;
        Assert.Matches("^org_[0-9a-hjkmnp-tv-z]{20}$", org);
        Assert.Equal($"/v1/admin/organizations/{org}", created.Headers.Location?.OriginalString);
        AssertJsonEqual(
            JsonNode.Parse($$$"""{"success": true, "data": {"id": "{{{org}}}", "name": "Acme", "send_rate_limit": {"burst": 5, "per_second": 2}, "mms_enabled": false, "keyword_replies": {{{DefaultReplies("Acme")}}}}}""")!,
            createdBody);

        var (readKey, readKeyId) = await server.CreateKeyAsync(org, Scopes.MessagesRead);
        Assert.Matches("^am_live_[0-9A-Za-z]{32}$", readKey);
        await server.AddNumberAsync(org, "+15556661111");
        await server.Services.GetRequiredService<IConsentRegistry>().RecordAsync(org, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);

        var (forbidden, forbiddenBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", readKey, Operator.SendBody("+15556661111", Recipient)));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        AssertJsonEqual(ExpectedError(forbidden, "FORBIDDEN", "missing required scope", new { scope = "messages:send" }), forbiddenBody);

        var (sendKey, _) = await server.CreateKeyAsync(org, Scopes.MessagesSend, Scopes.MessagesRead);
        var (sent, sentBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", sendKey, Operator.SendBody("+15556661111", Recipient)));
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var (read, _) = await server.Rest.CallAsync(Get($"/v1/messages/{(string)sentBody["data"]!["id"]!}", readKey));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        // The listing shows what tells keys apart, never a hash or the plaintext.
        var (listed, listedBody) = await server.AdminAsync(HttpMethod.Get, $"/v1/admin/organizations/{org}/api-keys");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var keys = listedBody["data"]!["api_keys"]!.AsArray();
        Assert.Equal(2, keys.Count);
        var first = keys[0]!.AsObject();
        Assert.Equal(readKeyId, (string)first["id"]!);
        Assert.Equal(readKey[..14], (string)first["prefix"]!);
        Assert.Equal(["id", "organization_id", "prefix", "scopes", "created_at"], first.Select(p => p.Key));
        Assert.DoesNotContain(readKey, listedBody.ToJsonString());
        Assert.DoesNotContain(ApiKeyFormat.Hash(readKey), listedBody.ToJsonString());
    }

    [Fact]
    public async Task NumberOfAnotherOrganization_IsRefusedOnBothFaces_UntilRemovedThere()
    {
        const string number = "+15556664444";
        var owner = await server.CreateOrganizationAsync("Owner");
        var other = await server.CreateOrganizationAsync("Other");
        await server.AddNumberAsync(owner, number);

        var (refused, refusedBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{other}/numbers", $$"""{"number": "{{number}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        AssertJsonEqual(ExpectedError(refused, "NUMBER_IN_USE", $"{number} belongs to another organization; remove it there first"), refusedBody);
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Admin().AddNumberAsync(
            new AddNumberRequest { OrganizationId = other, Number = number }, Operator.Bearer, cancellationToken: Ct));
        AssertError(grpc, StatusCode.AlreadyExists, "NUMBER_IN_USE", $"{number} belongs to another organization; remove it there first");
        Assert.Empty((await server.Admin().ListNumbersAsync(new ListNumbersRequest { OrganizationId = other }, Operator.Bearer, cancellationToken: Ct)).Numbers);
        Assert.Equal(owner, await server.Services.GetRequiredService<INumberRegistry>().FindOwnerAsync(number, Ct));

        // The owner may still change its own number's pace; once it lets go, the other may have it.
        await server.Admin().AddNumberAsync(new AddNumberRequest { OrganizationId = owner, Number = number, SendPacePerSecond = 2 }, Operator.Bearer, cancellationToken: Ct);
        await server.Admin().RemoveNumberAsync(new RemoveNumberRequest { OrganizationId = owner, Number = number }, Operator.Bearer, cancellationToken: Ct);
        await server.AddNumberAsync(other, number);
        Assert.Equal(other, await server.Services.GetRequiredService<INumberRegistry>().FindOwnerAsync(number, Ct));
    }

    [Fact]
    public async Task Grpc_OperatorBootstrapsACustomer_ReadOnlyKeyIsPermissionDenied()
    {
        var admin = server.Admin();
        var org = (await admin.CreateOrganizationAsync(new CreateOrganizationRequest { Name = "Grpc Co" }, Operator.Bearer, cancellationToken: Ct)).Organization;
        Assert.Matches("^org_[0-9a-hjkmnp-tv-z]{20}$", org.Id);
        Assert.True(org.MmsEnabled);
        Assert.Null(org.SendRateLimit);

        var created = await admin.CreateApiKeyAsync(new CreateApiKeyRequest { OrganizationId = org.Id, Scopes = { Scopes.MessagesRead } }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal([Scopes.MessagesRead], created.ApiKey.Scopes);
        Assert.Null(created.ApiKey.RevokedAt);
        await admin.AddNumberAsync(new AddNumberRequest { OrganizationId = org.Id, Number = "+15556662222", SendPacePerSecond = 3 }, Operator.Bearer, cancellationToken: Ct);
        await server.Services.GetRequiredService<IConsentRegistry>().RecordAsync(org.Id, new ConsentRecord(Recipient, "test", DateTimeOffset.UtcNow), Ct);

        var denied = await Assert.ThrowsAsync<RpcException>(async () => await server.Messaging.SendMessageAsync(
            new SendMessageRequest { From = "+15556662222", To = Recipient, Text = "hi" }, TestServer.Bearer(created.Key), cancellationToken: Ct));
        var info = AssertError(denied, StatusCode.PermissionDenied, "FORBIDDEN", "missing required scope");
        Assert.Equal("messages:send", info.Metadata["scope"]);

        var numbers = await admin.ListNumbersAsync(new ListNumbersRequest { OrganizationId = org.Id }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal("+15556662222", Assert.Single(numbers.Numbers).Number);
        Assert.Equal(3, numbers.Numbers[0].SendPacePerSecond);
        var fetched = await admin.GetOrganizationAsync(new GetOrganizationRequest { OrganizationId = org.Id }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal(org, fetched.Organization);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("operator-token-for-tests-0123456789abcdeX")]
    [InlineData(TestServer.DevKey)]
    public async Task MissingWrongOrApiKeyCredential_IsUnauthorized_OnBothFaces(string? credential)
    {
        // TestServer.DevKey holds every scope: an API key never opens the operator API.
        var (rest, body) = await server.AdminAsync(HttpMethod.Get, "/v1/admin/organizations", credential: credential);
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
        Assert.Equal("Bearer", rest.Headers.WwwAuthenticate.ToString());
        AssertJsonEqual(ExpectedError(rest, "UNAUTHORIZED", "authentication failed"), body);

        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await server.Admin().ListOrganizationsAsync(
            new ListOrganizationsRequest(), credential is null ? [] : TestServer.Bearer(credential), cancellationToken: Ct));
        AssertError(grpc, StatusCode.Unauthenticated, "UNAUTHORIZED", "authentication failed");
    }

    [Fact]
    public async Task OperatorToken_IsNotAnApiKey()
    {
        var (rest, _) = await server.Rest.CallAsync(Get("/v1/messages", Operator.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
    }

    [Fact]
    public async Task NoOperatorTokenConfigured_AdminApiIsNotFound_OnBothFaces()
    {
        await using var plain = await TestServer.StartAsync();

        var (rest, body) = await plain.AdminAsync(HttpMethod.Post, "/v1/admin/organizations", """{"name": "x"}""");
        Assert.Equal(HttpStatusCode.NotFound, rest.StatusCode);
        AssertJsonEqual(ExpectedError(rest, "NOT_FOUND", "not found"), body);

        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await plain.Admin().CreateOrganizationAsync(new CreateOrganizationRequest { Name = "x" }, Operator.Bearer, cancellationToken: Ct));
        AssertError(grpc, StatusCode.NotFound, "NOT_FOUND", "not found");
    }

    [Fact]
    public async Task Rest_BadInput_Is422WithPerFieldDetails()
    {
        var org = await server.CreateOrganizationAsync("Validation");

        var (number, numberBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/numbers", """{"number": "5551234", "send_pace_per_second": 0}""");
        Assert.Equal((HttpStatusCode)422, number.StatusCode);
        AssertJsonEqual(
            ExpectedError(number, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
            {
                ["number"] = "must be E.164",
                ["send_pace_per_second"] = "must be more than 0 and at most 1000",
            }),
            numberBody);

        var (scope, scopeBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys", """{"scopes": ["messages:read", "admin:everything"]}""");
        Assert.Equal((HttpStatusCode)422, scope.StatusCode);
        AssertJsonEqual(
            ExpectedError(scope, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
            {
                ["scopes[1]"] = "unknown scope; must be one of: messages:send, messages:read, consents:write, lookups:read, webhooks:read, webhooks:write",
            }),
            scopeBody);

        var (noScope, noScopeBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys", "{}");
        Assert.Equal((HttpStatusCode)422, noScope.StatusCode);
        Assert.NotNull(noScopeBody["error"]!["details"]!["scopes"]);

        var (limits, limitsBody) = await server.AdminAsync(HttpMethod.Patch, $"/v1/admin/organizations/{org}",
            """{"name": " ", "send_rate_limit": {"burst": 0, "per_second": 5}, "media_upload_rate_limit": {"burst": 3, "per_second": -1}}""");
        Assert.Equal((HttpStatusCode)422, limits.StatusCode);
        AssertJsonEqual(
            ExpectedError(limits, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string>
            {
                ["name"] = "must be 1 to 200 characters, not blank, without control characters",
                ["send_rate_limit.burst"] = "must be 1 to 1000000",
                ["media_upload_rate_limit.per_second"] = "must be more than 0 and at most 1000000",
            }),
            limitsBody);

        // An id from a path becomes part of Redis keys: anything outside org_[a-z0-9_] is refused.
        var (badId, badIdBody) = await server.AdminAsync(HttpMethod.Get, "/v1/admin/organizations/org_%7Bx%7D/numbers");
        Assert.Equal((HttpStatusCode)422, badId.StatusCode);
        Assert.Equal("must be org_ followed by 1 to 64 of a-z, 0-9, _", (string)badIdBody["error"]!["details"]!["organization_id"]!);

        var (unknown, unknownBody) = await server.AdminAsync(HttpMethod.Get, "/v1/admin/organizations/org_nosuchorganization");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        AssertJsonEqual(ExpectedError(unknown, "NOT_FOUND", "organization not found"), unknownBody);

        var (notJson, _) = await server.AdminAsync(HttpMethod.Post, "/v1/admin/organizations", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Grpc_BadInput_IsInvalidArgumentWithFieldViolations()
    {
        var admin = server.Admin();
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await admin.CreateOrganizationAsync(
            new CreateOrganizationRequest { Name = "", SendRateLimit = new RateLimit { Burst = 2_000_000, PerSecond = double.NaN } }, Operator.Bearer, cancellationToken: Ct));
        AssertError(bad, StatusCode.InvalidArgument, "VALIDATION_FAILED", "validation failed");
        Assert.Equal(["name", "send_rate_limit.burst", "send_rate_limit.per_second"], Violations(bad).Keys.Order());

        var badNumber = await Assert.ThrowsAsync<RpcException>(async () => await admin.AddNumberAsync(
            new AddNumberRequest { OrganizationId = "org_development", Number = "+0123" }, Operator.Bearer, cancellationToken: Ct));
        Assert.Equal("must be E.164", Violations(badNumber)["number"]);

        var badScope = await Assert.ThrowsAsync<RpcException>(async () => await admin.CreateApiKeyAsync(
            new CreateApiKeyRequest { OrganizationId = "org_development", Scopes = { "messages:write" } }, Operator.Bearer, cancellationToken: Ct));
        Assert.StartsWith("unknown scope", Violations(badScope)["scopes[0]"]);
    }

    [Fact]
    public async Task RevokeAndRotate_TakeEffectAtOnceOnThisInstance_OnBothFaces()
    {
        var org = await server.CreateOrganizationAsync("Rotation");
        var (key, keyId) = await server.CreateKeyAsync(org, Scopes.MessagesRead);
        Assert.Equal(HttpStatusCode.OK, (await server.Rest.CallAsync(Get("/v1/messages", key))).Response.StatusCode);

        var rotated = await server.Admin().RotateApiKeyAsync(new RotateApiKeyRequest { OrganizationId = org, KeyId = keyId }, Operator.Bearer, cancellationToken: Ct);
        Assert.Equal(keyId, rotated.RevokedApiKey.Id);
        Assert.NotNull(rotated.RevokedApiKey.RevokedAt);
        Assert.Equal([Scopes.MessagesRead], rotated.ApiKey.Scopes);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Rest.CallAsync(Get("/v1/messages", key))).Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Rest.CallAsync(Get("/v1/messages", rotated.Key))).Response.StatusCode);

        // Rotating a revoked key is refused; revoking one again changes nothing.
        var (again, againBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys/{keyId}:rotate");
        Assert.Equal((HttpStatusCode)422, again.StatusCode);
        Assert.NotNull(againBody["error"]!["details"]!["key_id"]);

        var (revoked, revokedBody) = await server.AdminAsync(HttpMethod.Delete, $"/v1/admin/organizations/{org}/api-keys/{rotated.ApiKey.Id}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.NotNull(revokedBody["data"]!["revoked_at"]);
        var (twice, twiceBody) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{org}/api-keys/{rotated.ApiKey.Id}:revoke");
        Assert.Equal(HttpStatusCode.OK, twice.StatusCode);
        Assert.Equal((string)revokedBody["data"]!["revoked_at"]!, (string)twiceBody["data"]!["revoked_at"]!);

        var unauthenticated = await Assert.ThrowsAsync<RpcException>(async () =>
            await server.Messaging.ListMessagesAsync(new ListMessagesRequest(), TestServer.Bearer(rotated.Key), cancellationToken: Ct));
        AssertError(unauthenticated, StatusCode.Unauthenticated, "UNAUTHORIZED", "authentication failed");

        // Another organization's key id is not found through this organization.
        var other = await server.CreateOrganizationAsync("Other");
        var (foreign, _) = await server.AdminAsync(HttpMethod.Delete, $"/v1/admin/organizations/{other}/api-keys/{keyId}");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task UpdateAndNumbers_ChangeWhatSendsSee()
    {
        var org = await server.CreateOrganizationAsync("Switches");
        var (key, _) = await server.CreateKeyAsync(org, Scopes.MessagesSend);
        await server.AddNumberAsync(org, "+15556663333");

        var (patched, patchedBody) = await server.AdminAsync(HttpMethod.Patch, $"/v1/admin/organizations/{org}", """{"mms_enabled": false, "media_upload_rate_limit": {"burst": 2, "per_second": 1}}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        AssertJsonEqual(
            JsonNode.Parse($$"""{"id": "{{org}}", "name": "Switches", "media_upload_rate_limit": {"burst": 2, "per_second": 1}, "mms_enabled": false, "keyword_replies": {{DefaultReplies("Switches")}}}""")!,
            patchedBody["data"]!);
        var (upload, uploadBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages/media-upload", key, """{"mime_type": "image/png", "byte_size": 10}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, upload.StatusCode);
        Assert.Equal("MMS_DISABLED", (string)uploadBody["error"]!["code"]!);

        var (reset, resetBody) = await server.AdminAsync(HttpMethod.Patch, $"/v1/admin/organizations/{org}", """{"media_upload_rate_limit": {}, "name": "Renamed"}""");
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Null(resetBody["data"]!["media_upload_rate_limit"]);
        Assert.Equal("Renamed", (string)resetBody["data"]!["name"]!);
        Assert.False((bool)resetBody["data"]!["mms_enabled"]!);

        var (removed, removedBody) = await server.AdminAsync(HttpMethod.Delete, $"/v1/admin/organizations/{org}/numbers/%2B15556663333");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        AssertJsonEqual(JsonNode.Parse("""{"success": true, "data": {}}""")!, removedBody);
        var (send, sendBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/messages", key, Operator.SendBody("+15556663333", Recipient)));
        Assert.Equal((HttpStatusCode)422, send.StatusCode);
        Assert.NotNull(sendBody["error"]!["details"]!["from"]);
        var (gone, _) = await server.AdminAsync(HttpMethod.Delete, $"/v1/admin/organizations/{org}/numbers/+15556663333");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task ListOrganizations_PagesInIdOrder()
    {
        for (var i = 0; i < 3; i++)
        {
            await server.CreateOrganizationAsync($"Paged {i}");
        }

        var admin = server.Admin();
        var all = new List<string>();
        var token = string.Empty;
        do
        {
            var page = await admin.ListOrganizationsAsync(new ListOrganizationsRequest { PageSize = 2, PageToken = token }, Operator.Bearer, cancellationToken: Ct);
            Assert.InRange(page.Organizations.Count, 1, 2);
            all.AddRange(page.Organizations.Select(o => o.Id));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Contains("org_development", all);
        Assert.True(all.Count >= 4);
    }

    [Fact]
    public async Task PaceTable_StoredPaceFirst_ThenConfiguration_ThenDefault()
    {
        var numbers = new InMemoryNumberRegistry();
        await numbers.PutAsync("org_a", new OwnedNumberRecord("+15550000010", 2.5), Ct);
        await numbers.PutAsync("org_a", new OwnedNumberRecord("+15550000011"), Ct);
        var options = Options.Create(new DeliveryOptions { DefaultPacePerSecond = 10, NumberPace = { ["+15550000011"] = 4, ["+15550000010"] = 7 } });
        var table = new PaceTable(options, numbers);

        Assert.Equal(TimeSpan.FromSeconds(1 / 2.5), await table.IntervalAsync("org_a", "+15550000010", Ct));
        Assert.Equal(TimeSpan.FromSeconds(1 / 4.0), await table.IntervalAsync("org_a", "+15550000011", Ct));
        Assert.Equal(TimeSpan.FromSeconds(1 / 10.0), await table.IntervalAsync("org_a", "+15550000012", Ct));
    }

    /// <summary>An organization's keyword_replies as read when it never set them: the defaults naming it.</summary>
    private static string DefaultReplies(string name) => new JsonObject
    {
        ["stop_text"] = $"{name}: you are unsubscribed and will receive no more messages. Reply START to resubscribe.",
        ["start_text"] = $"{name}: you are subscribed again. Reply STOP to unsubscribe.",
        ["help_text"] = $"{name}: reply STOP to unsubscribe. Msg&data rates may apply.",
    }.ToJsonString();
}
