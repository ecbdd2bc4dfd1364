using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Server.Tests.Edge.Grpc;
using AgentMessage.V1;
using Grpc.Core;
using static AgentMessage.Server.Tests.Support.RestRequests;
using static AgentMessage.Server.Tests.Support.WebhookSupport;

namespace AgentMessage.Server.Tests.Edge.Webhooks;

/// <summary>
/// WebhookService on both faces (docs/API.md section 13): creation answers 201 with the secret
/// (and only creation and rotation show it), partial updates, deletion, scopes, the limit per
/// organization, field rules, and another organization's endpoint is not there. Endpoints point at
/// literal loopback https URLs, which these tests' settings allow; nothing is delivered to them.
/// </summary>
public sealed class WebhookApiTests(WebhookApiTests.Server shared) : IClassFixture<WebhookApiTests.Server>
{
    private const string Url = "https://127.0.0.1:9/hooks";

    private readonly TestServer server = shared.Instance;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_Answers201WithLocationAndTheSecret_WhichNoReadShowsAgain()
    {
        var org = await server.NewOrganizationAsync();

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", org.Key,
            """{"url": "https://127.0.0.1:9/hooks", "events": ["message.received", "message.status"], "description": "agent inbox"}"""));
        var data = body["data"]!;
        var id = (string)data["id"]!;
        var (_, get) = await server.Rest.CallAsync(Get($"/v1/webhooks/{id}", org.Key));
        var (_, list) = await server.Rest.CallAsync(Get("/v1/webhooks", org.Key));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v1/webhooks/{id}", response.Headers.Location?.OriginalString);
        Assert.StartsWith("wh_", id, StringComparison.Ordinal);
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", (string)data["secret"]!);
        Assert.Equal(["message.status", "message.received"], data["events"]!.AsArray().Select(e => (string)e!));
        Assert.Equal((Url, "agent inbox", true, ""), ((string)data["url"]!, (string)data["description"]!, (bool)data["enabled"]!, (string)data["disabled_reason"]!));
        Assert.Equal((string)data["created_at"]!, (string)data["updated_at"]!);
        Assert.Null(get["data"]!["secret"]);
        Assert.Equal(id, (string)get["data"]!["id"]!);
        var listed = Assert.Single(list["data"]!["webhooks"]!.AsArray());
        Assert.Null(listed!["secret"]);
        Assert.Equal("", (string)list["data"]!["next_page_token"]!);
    }

    [Fact]
    public async Task OverGrpc_AnEndpointIsCreatedReadChangedInPartAndDeleted()
    {
        var org = await server.NewOrganizationAsync();
        var client = server.Webhooks();
        var auth = TestServer.Bearer(org.Key);

        var created = (await client.CreateWebhookAsync(new CreateWebhookRequest { Url = Url, Events = { "message.status" }, Description = "first" }, auth, cancellationToken: Ct)).Webhook;
        var described = (await client.UpdateWebhookAsync(new UpdateWebhookRequest { Id = created.Id, Description = "second" }, auth, cancellationToken: Ct)).Webhook;
        var disabled = (await client.UpdateWebhookAsync(new UpdateWebhookRequest { Id = created.Id, Enabled = false, Events = { "message.received" } }, auth, cancellationToken: Ct)).Webhook;
        var read = (await client.GetWebhookAsync(new GetWebhookRequest { Id = created.Id }, auth, cancellationToken: Ct)).Webhook;
        await client.DeleteWebhookAsync(new DeleteWebhookRequest { Id = created.Id }, auth, cancellationToken: Ct);
        var gone = await Assert.ThrowsAsync<RpcException>(() => client.GetWebhookAsync(new GetWebhookRequest { Id = created.Id }, auth, cancellationToken: Ct).ResponseAsync);

        Assert.True(created.HasSecret);
        Assert.Equal((Url, "second"), (described.Url, described.Description));
        Assert.Equal(["message.status"], described.Events);
        Assert.False(described.HasSecret);
        Assert.Equal((false, "", "second"), (disabled.Enabled, disabled.DisabledReason, disabled.Description));
        Assert.Equal(["message.received"], disabled.Events);
        Assert.Equal(disabled, read);
        RpcErrors.AssertError(gone, StatusCode.NotFound, "NOT_FOUND", "webhook not found");
    }

    [Fact]
    public async Task Patch_ChangesOnlyTheFieldsGiven_AndChecksANewUrlAsCreationDoes()
    {
        var org = await server.NewOrganizationAsync();
        var (id, _) = await server.CreateWebhookAsync(org.Key, new Uri(Url), "message.status");

        var (changed, body) = await server.PatchWebhookAsync(org.Key, id, """{"url": "https://127.0.0.2/new", "description": "moved"}""");
        var (refused, error) = await server.PatchWebhookAsync(org.Key, id, """{"url": "ftp://127.0.0.1/x", "events": ["message.sent"]}""");
        var after = await server.GetWebhookAsync(org.Key, id);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(("https://127.0.0.2/new", "moved", "message.status"), ((string)body["data"]!["url"]!, (string)body["data"]!["description"]!, (string)body["data"]!["events"]![0]!));
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Equal("VALIDATION_FAILED", (string)error["error"]!["code"]!);
        Assert.Equal(["events[0]", "url"], error["error"]!["details"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("https://127.0.0.2/new", (string)after["url"]!);
    }

    [Theory]
    [InlineData("""{"events": ["message.status"]}""", "url", "is required")]
    [InlineData("""{"url": "https://127.0.0.1/", "events": []}""", "events", "must name at least one of: message.status, message.received")]
    [InlineData("""{"url": "https://127.0.0.1/", "events": ["message.sent"]}""", "events[0]", "must be one of: message.status, message.received")]
    [InlineData("""{"url": "https://127.0.0.1/", "events": ["message.status"], "description": "a\u0007b"}""", "description", "must not contain control characters")]
    public async Task Create_WithAFieldBrokenItsRule_Answers422NamingTheField(string json, string field, string problem)
    {
        var org = await server.NewOrganizationAsync();

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", org.Key, json));

        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { [field] = problem }), body);
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
    }

    [Fact]
    public async Task ATooLongDescription_IsRefused()
    {
        var org = await server.NewOrganizationAsync();
        var json = new JsonObject { ["url"] = Url, ["events"] = new JsonArray("message.status"), ["description"] = new string('d', 201) }.ToJsonString();

        var (response, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", org.Key, json));

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("must not be longer than 200 characters", (string)body["error"]!["details"]!["description"]!);
    }

    [Fact]
    public async Task TheLimitPerOrganization_RefusesOneMore_AndADeletionMakesRoom()
    {
        var org = await server.NewOrganizationAsync();
        var (first, _) = await server.CreateWebhookAsync(org.Key, new Uri(Url));
        await server.CreateWebhookAsync(org.Key, new Uri(Url));

        var (refused, body) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", org.Key, """{"url": "https://127.0.0.1/", "events": ["message.status"]}"""));
        var (deleted, _) = await server.Rest.CallAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/webhooks/{first}") { Headers = { { "Authorization", $"Bearer {org.Key}" } } });
        var (again, _) = await server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", org.Key, """{"url": "https://127.0.0.1/", "events": ["message.status"]}"""));

        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Equal("the organization already has 2 webhook endpoints, the most it may have", (string)body["error"]!["details"]!["webhooks"]!);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task ReadScope_ReadsButCannotWrite_AndOtherScopesCannotRead()
    {
        var org = await server.NewOrganizationAsync();
        var (id, _) = await server.CreateWebhookAsync(org.Key, new Uri(Url));
        var reader = await server.AddKeyAsync(org.Id, [Scopes.WebhooksRead]);
        var sender = await server.AddKeyAsync(org.Id, [Scopes.MessagesSend, Scopes.MessagesRead]);

        var (get, _) = await server.Rest.CallAsync(Get($"/v1/webhooks/{id}", reader));
        var (deliveries, _) = await server.Rest.CallAsync(Get($"/v1/webhooks/{id}/deliveries", reader));
        var (test, testBody) = await server.Rest.CallAsync(Json(HttpMethod.Post, $"/v1/webhooks/{id}:test", reader, "{}"));
        var (list, listBody) = await server.Rest.CallAsync(Get("/v1/webhooks", sender));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deliveries.StatusCode);
        AssertJsonEqual(ExpectedError(test, "FORBIDDEN", "missing required scope", new Dictionary<string, string> { ["scope"] = "webhooks:write" }), testBody);
        AssertJsonEqual(ExpectedError(list, "FORBIDDEN", "missing required scope", new Dictionary<string, string> { ["scope"] = "webhooks:read" }), listBody);
    }

    [Fact]
    public async Task AnotherOrganizationsEndpoint_IsNotFound_ForEveryCall()
    {
        var owner = await server.NewOrganizationAsync();
        var other = await server.NewOrganizationAsync();
        var (id, _) = await server.CreateWebhookAsync(owner.Key, new Uri(Url));

        HttpRequestMessage[] calls =
        [
            Get($"/v1/webhooks/{id}", other.Key),
            Json(HttpMethod.Patch, $"/v1/webhooks/{id}", other.Key, """{"description": "mine"}"""),
            Json(HttpMethod.Post, $"/v1/webhooks/{id}:rotate-secret", other.Key, "{}"),
            Json(HttpMethod.Post, $"/v1/webhooks/{id}:test", other.Key, "{}"),
            Get($"/v1/webhooks/{id}/deliveries", other.Key),
            new(HttpMethod.Delete, $"/v1/webhooks/{id}") { Headers = { { "Authorization", $"Bearer {other.Key}" } } },
        ];
        foreach (var call in calls)
        {
            var (response, body) = await server.Rest.CallAsync(call);
            AssertJsonEqual(ExpectedError(response, "NOT_FOUND", "webhook not found"), body);
        }

        Assert.Equal("", (string)(await server.GetWebhookAsync(owner.Key, id))["description"]!);
        var (_, list) = await server.Rest.CallAsync(Get("/v1/webhooks", other.Key));
        Assert.Empty(list["data"]!["webhooks"]!.AsArray());
    }

    [Fact]
    public async Task Listing_GoesPageByPage_OldestFirst()
    {
        var org = await server.NewOrganizationAsync();
        var first = (await server.CreateWebhookAsync(org.Key, new Uri(Url))).Id;
        var second = (await server.CreateWebhookAsync(org.Key, new Uri(Url))).Id;

        var (_, page1) = await server.Rest.CallAsync(Get("/v1/webhooks?page_size=1", org.Key));
        var token = (string)page1["data"]!["next_page_token"]!;
        var (_, page2) = await server.Rest.CallAsync(Get($"/v1/webhooks?page_size=1&page_token={token}", org.Key));
        var (badSize, _) = await server.Rest.CallAsync(Get("/v1/webhooks?page_size=101", org.Key));
        var (badToken, _) = await server.Rest.CallAsync(Get("/v1/webhooks?page_token=nope", org.Key));

        Assert.Equal(first, (string)page1["data"]!["webhooks"]![0]!["id"]!);
        Assert.Equal(second, (string)page2["data"]!["webhooks"]![0]!["id"]!);
        Assert.Equal("", (string)page2["data"]!["next_page_token"]!);
        Assert.Equal((HttpStatusCode)422, badSize.StatusCode);
        Assert.Equal((HttpStatusCode)422, badToken.StatusCode);
    }

    [Fact]
    public async Task OverGrpc_Listing_GoesPageByPage_InTheOrderCreated()
    {
        var org = await server.NewOrganizationAsync();
        var client = server.Webhooks();
        var auth = TestServer.Bearer(org.Key);
        var first = (await client.CreateWebhookAsync(new CreateWebhookRequest { Url = Url, Events = { "message.status" } }, auth, cancellationToken: Ct)).Webhook.Id;
        var second = (await client.CreateWebhookAsync(new CreateWebhookRequest { Url = Url, Events = { "message.status" } }, auth, cancellationToken: Ct)).Webhook.Id;

        var page1 = await client.ListWebhooksAsync(new ListWebhooksRequest { PageSize = 1 }, auth, cancellationToken: Ct);
        var page2 = await client.ListWebhooksAsync(new ListWebhooksRequest { PageSize = 1, PageToken = page1.NextPageToken }, auth, cancellationToken: Ct);
        var badSize = await Assert.ThrowsAsync<RpcException>(() => client.ListWebhooksAsync(new ListWebhooksRequest { PageSize = 101 }, auth, cancellationToken: Ct).ResponseAsync);

        Assert.Equal([first], page1.Webhooks.Select(w => w.Id));
        Assert.Equal([second], page2.Webhooks.Select(w => w.Id));
        Assert.Equal("", page2.NextPageToken);
        Assert.All(page1.Webhooks.Concat(page2.Webhooks), w => Assert.False(w.HasSecret));
        Assert.Equal(StatusCode.InvalidArgument, badSize.StatusCode);
    }

    /// <summary>Literal loopback https URLs allowed; two endpoints per organization.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public TestServer Instance { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Instance = await TestServer.StartAsync(Settings(
            ("AgentMessage:Webhooks:RequireHttps", "true"),
            ("AgentMessage:Webhooks:MaxPerOrganization", "2")));

        public async ValueTask DisposeAsync() => await Instance.DisposeAsync();
    }
}

/// <summary>The destination rules with their defaults (https only, public addresses only): every
/// unsafe URL is refused at creation with the field-rule error on url, before anything is stored.</summary>
public sealed class WebhookDestinationApiTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Theory]
    [InlineData("http://93.184.215.14/hooks", "must be an absolute https URL")]
    [InlineData("https://127.0.0.1/hooks", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://10.1.2.3/hooks", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://169.254.169.254/latest/meta-data", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://100.64.0.1/hooks", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://[fd00::1]/hooks", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://localhost/hooks", "must not resolve to a loopback, private, link-local or unspecified address")]
    [InlineData("https://user:secret@93.184.215.14/hooks", "must not contain a user name or password")]
    public async Task AnUnsafeUrl_IsRefusedAtCreation_Naming_url(string url, string problem)
    {
        var key = await shared.Server.AddKeyAsync();

        var (response, body) = await shared.Server.Rest.CallAsync(Json(HttpMethod.Post, "/v1/webhooks", key,
            new JsonObject { ["url"] = url, ["events"] = new JsonArray("message.status") }.ToJsonString()));
        var (_, list) = await shared.Server.Rest.CallAsync(Get("/v1/webhooks", key));

        AssertJsonEqual(ExpectedError(response, "VALIDATION_FAILED", "validation failed", new Dictionary<string, string> { ["url"] = problem }), body);
        Assert.DoesNotContain(list["data"]!["webhooks"]!.AsArray(), w => (string)w!["url"]! == url);
    }
}
