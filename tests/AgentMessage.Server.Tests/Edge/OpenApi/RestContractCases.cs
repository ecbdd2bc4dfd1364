using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AgentMessage.Server.Hosting;
using Google.Api;

namespace AgentMessage.Server.Tests.Edge.OpenApi;

/// <summary>One request through the validating proxy and the status and code the document says it gets.</summary>
public sealed record ContractCase(string Operation, int Status, string Code, Func<ContractContext, Task<HttpRequestMessage>> Request)
{
    public string Name => $"{Operation} {Status} {Code}";

    public override string ToString() => Name;
}

/// <summary>
/// The table of contract cases: a success of every operation and the refusals only some requests
/// get. Every operation's 401, 403, 400 and 413 are driven from the document itself
/// (<see cref="RestContractTests"/>), so an operation added to the proto needs here only its success
/// and its own refusals; the coverage test says which ones are missing.
/// </summary>
public static class RestContractCases
{
    /// <summary>
    /// RPCs of the contract whose server is not mapped on this server, so they are not in the
    /// document: the coverage test fails once one of them is, naming it, so that its cases are
    /// added here and its line removed.
    /// </summary>
    public static readonly IReadOnlySet<string> Unmapped = new HashSet<string>(StringComparer.Ordinal)
    {
    };

    /// <summary>Whether an operation id is one of an <see cref="Unmapped"/> RPC's bindings.</summary>
    public static bool IsUnmapped(string operation) =>
        Unmapped.Select(rpc => rpc[(rpc.LastIndexOf('.') + 1)..]).Any(name => operation == name || operation.StartsWith(name + "Via", StringComparison.Ordinal));

    /// <summary>Documented answers no request here produces, and why ("*": every operation).</summary>
    public static readonly IReadOnlyList<(string Operation, int Status, string Why)> NotDriven =
    [
        ("*", 500, "no request makes the server fail; INTERNAL has the same envelope as every refusal"),
        ("*", 503, "UNAVAILABLE needs an unreachable store (driven where MMS_DISABLED gives the same status)"),
        ("SendMessage", 409, "IDEMPOTENCY_IN_PROGRESS needs two identical requests in flight at once, a race"),
        ("CreateMediaUpload", 409, "IDEMPOTENCY_IN_PROGRESS needs two identical requests in flight at once, a race"),
        ("StreamStatus", 429, "the open-stream cap is 100 streams per key"),
        ("CreateOrganization", 404, "the operator API answers 404 only on a server without an operator token"),
        ("ListOrganizations", 404, "the operator API answers 404 only on a server without an operator token"),
    ];

    private const string Unknown = "00000000-0000-4000-8000-000000000000";

    public static IReadOnlyList<ContractCase> Specific { get; } =
    [
        // MessagingService
        new("SendMessage", 202, "", c => c.Api(HttpMethod.Post, "/v1/messages", Send(ContractContext.Consenting))),
        new("SendMessage", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Post, "/v1/messages", Send("123"))),
        new("SendMessage", 453, "CONSENT_REQUIRED", c => c.Api(HttpMethod.Post, "/v1/messages", Send("+15559990000"))),
        new("SendMessage", 422, "LINE_TYPE_BLOCKED", c => c.Api(HttpMethod.Post, "/v1/messages", Send("+15550100000"))),
        new("SendMessage", 422, "IDEMPOTENCY_KEY_REUSED", async c =>
        {
            var key = Guid.NewGuid().ToString("N");
            await c.DirectAsync(c.Api(HttpMethod.Post, "/v1/messages", Send(ContractContext.Consenting), key), 202);
            return await c.Api(HttpMethod.Post, "/v1/messages", Send(ContractContext.Consenting, "another text"), key);
        }),
        new("SendMessage", 429, "RATE_LIMITED", async c =>
        {
            var limited = await c.LimitedOrganizationAsync();
            await c.DirectAsync(c.Api(HttpMethod.Post, "/v1/messages", Send(limited.Recipient, from: limited.Sender), key: null, limited.Key), 202);
            return await c.Api(HttpMethod.Post, "/v1/messages", Send(limited.Recipient, from: limited.Sender), key: null, limited.Key);
        }),
        new("SendMessage", 503, "MMS_DISABLED", async c =>
        {
            var noMms = await c.MmsDisabledOrganizationAsync();
            var body = Send(noMms.Recipient, from: noMms.Sender);
            body["media"] = new JsonArray("https://example.com/photo.png");
            return await c.Api(HttpMethod.Post, "/v1/messages", body, key: null, noMms.Key);
        }),
        new("CreateMediaUpload", 200, "", c => c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/png"))),
        new("CreateMediaUpload", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/bmp"))),
        new("CreateMediaUpload", 422, "IDEMPOTENCY_KEY_REUSED", async c =>
        {
            var key = Guid.NewGuid().ToString("N");
            await c.DirectAsync(c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/png"), key), 200);
            return await c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/gif"), key);
        }),
        new("CreateMediaUpload", 429, "RATE_LIMITED", async c =>
        {
            var limited = await c.LimitedOrganizationAsync();
            await c.DirectAsync(c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/png"), key: null, limited.Key), 200);
            return await c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/png"), key: null, limited.Key);
        }),
        new("CreateMediaUpload", 503, "MMS_DISABLED", async c =>
        {
            var noMms = await c.MmsDisabledOrganizationAsync();
            return await c.Api(HttpMethod.Post, "/v1/messages/media-upload", Upload("image/png"), key: null, noMms.Key);
        }),
        new("GetMessage", 200, "", async c => await c.Api(HttpMethod.Get, $"/v1/messages/{await c.SendAsync()}")),
        new("GetMessage", 404, "NOT_FOUND", c => c.Api(HttpMethod.Get, $"/v1/messages/{Unknown}")),
        new("CancelMessage", 200, "", async c => await c.Api(HttpMethod.Post, $"/v1/messages/{await c.SendAsync(scheduled: true)}:cancel")),
        new("CancelMessage", 404, "NOT_FOUND", c => c.Api(HttpMethod.Post, $"/v1/messages/{Unknown}:cancel", new JsonObject())),
        new("CancelMessage", 409, "MESSAGE_NOT_CANCELABLE", async c => await c.Api(HttpMethod.Post, $"/v1/messages/{await c.DeliveredAsync()}:cancel")),
        new("ListMessages", 200, "", c => c.Api(HttpMethod.Get, "/v1/messages?page_size=5&status=queued&direction=outbound")),
        new("ListMessages", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/messages?page_size=abc")),

        // A stream naming one message that is already final sends that message's state and ends:
        // one line, which the proxy can read as one JSON value.
        new("StreamStatus", 200, "", async c => await c.Api(HttpMethod.Get, $"/v1/messages/status/stream?message_ids={await c.DeliveredAsync()}")),
        new("StreamStatus", 404, "NOT_FOUND", c => c.Api(HttpMethod.Get, $"/v1/messages/status/stream?message_ids={Unknown}")),
        new("StreamStatus", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/messages/status/stream?message_ids=abc")),

        // ConsentService
        new("RecordConsent", 200, "", c => c.Api(HttpMethod.Post, "/v1/consents", new JsonObject { ["number"] = "+15557000001", ["source"] = "web form" })),
        new("RecordConsent", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Post, "/v1/consents", new JsonObject { ["number"] = "abc", ["source"] = "web form" })),
        new("GetConsent", 200, "", c => c.Api(HttpMethod.Get, "/v1/consents/%2B15554443333")),
        new("GetConsent", 404, "NOT_FOUND", c => c.Api(HttpMethod.Get, "/v1/consents/%2B15557000999")),
        new("GetConsent", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/consents/abc")),
        new("ListConsents", 200, "", c => c.Api(HttpMethod.Get, "/v1/consents?page_size=10")),
        new("ListConsents", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/consents?page_size=1000")),
        new("RevokeConsent", 200, "", async c => await c.Api(HttpMethod.Post, $"/v1/consents/{await c.ConsentingNumberAsync()}:revoke")),
        new("RevokeConsent", 404, "NOT_FOUND", c => c.Api(HttpMethod.Post, "/v1/consents/%2B15557000999:revoke")),
        new("RevokeConsent", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Post, "/v1/consents/abc:revoke")),
        new("RevokeConsentViaDelete", 200, "", async c => await c.Api(HttpMethod.Delete, $"/v1/consents/{await c.ConsentingNumberAsync()}")),
        new("RevokeConsentViaDelete", 404, "NOT_FOUND", c => c.Api(HttpMethod.Delete, "/v1/consents/%2B15557000999")),
        new("RevokeConsentViaDelete", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Delete, "/v1/consents/abc")),

        // LookupService
        new("LookupNumber", 200, "", c => c.Api(HttpMethod.Get, "/v1/lookups/%2B15557776666")),
        new("LookupNumber", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/lookups/abc")),

        // AdminService
        new("CreateOrganization", 201, "", c => c.Admin(HttpMethod.Post, "/v1/admin/organizations", new JsonObject { ["name"] = "Contract" })),
        new("CreateOrganization", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Post, "/v1/admin/organizations",
            new JsonObject { ["name"] = "Contract", ["send_rate_limit"] = new JsonObject { ["burst"] = 0, ["per_second"] = 1 } })),
        new("GetOrganization", 200, "", c => c.Admin(HttpMethod.Get, $"/v1/admin/organizations/{DevSeed.OrganizationId}")),
        new("GetOrganization", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/org_missing")),
        new("GetOrganization", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/BAD!")),
        new("ListOrganizations", 200, "", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations?page_size=5")),
        new("ListOrganizations", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations?page_size=-1")),
        new("UpdateOrganization", 200, "", async c => await c.Admin(HttpMethod.Patch, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}", new JsonObject { ["name"] = "Renamed" })),
        new("UpdateOrganization", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Patch, "/v1/admin/organizations/org_missing", new JsonObject { ["name"] = "Renamed" })),
        new("UpdateOrganization", 422, "VALIDATION_FAILED", async c => await c.Admin(HttpMethod.Patch, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}",
            new JsonObject { ["send_rate_limit"] = new JsonObject { ["burst"] = 0, ["per_second"] = 1 } })),
        new("CreateApiKey", 201, "", async c => await c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}/api-keys", Scopes("messages:read"))),
        new("CreateApiKey", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Post, "/v1/admin/organizations/org_missing/api-keys", Scopes("messages:read"))),
        new("CreateApiKey", 422, "VALIDATION_FAILED", async c => await c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}/api-keys", Scopes("messages:everything"))),
        new("ListApiKeys", 200, "", c => c.Admin(HttpMethod.Get, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys")),
        new("ListApiKeys", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/org_missing/api-keys")),
        new("ListApiKeys", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/BAD!/api-keys")),
        new("RevokeApiKey", 200, "", async c => await c.Admin(HttpMethod.Post, $"{await c.NewApiKeyPathAsync()}:revoke")),
        new("RevokeApiKey", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/key_missing:revoke")),
        new("RevokeApiKey", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/BAD:revoke")),
        new("RevokeApiKeyViaDelete", 200, "", async c => await c.Admin(HttpMethod.Delete, await c.NewApiKeyPathAsync())),
        new("RevokeApiKeyViaDelete", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Delete, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/key_missing")),
        new("RevokeApiKeyViaDelete", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Delete, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/BAD")),
        new("RotateApiKey", 201, "", async c => await c.Admin(HttpMethod.Post, $"{await c.NewApiKeyPathAsync()}:rotate")),
        new("RotateApiKey", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/key_missing:rotate")),
        new("RotateApiKey", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{DevSeed.OrganizationId}/api-keys/BAD:rotate")),
        new("AddNumber", 201, "", async c => await c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}/numbers", Number(c.NewNumber()))),
        new("AddNumber", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Post, "/v1/admin/organizations/org_missing/numbers", Number(c.NewNumber()))),
        new("AddNumber", 409, "NUMBER_IN_USE", async c => await c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}/numbers", Number(ContractContext.DevSender))),
        new("AddNumber", 422, "VALIDATION_FAILED", async c => await c.Admin(HttpMethod.Post, $"/v1/admin/organizations/{await c.NewOrganizationAsync()}/numbers", Number("abc"))),
        new("RemoveNumber", 200, "", async c => await c.Admin(HttpMethod.Delete, await c.NewNumberPathAsync())),
        new("RemoveNumber", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Delete, $"/v1/admin/organizations/{DevSeed.OrganizationId}/numbers/%2B15557000998")),
        new("RemoveNumber", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Delete, $"/v1/admin/organizations/{DevSeed.OrganizationId}/numbers/abc")),
        new("ListNumbers", 200, "", c => c.Admin(HttpMethod.Get, $"/v1/admin/organizations/{DevSeed.OrganizationId}/numbers")),
        new("ListNumbers", 404, "NOT_FOUND", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/org_missing/numbers")),
        new("ListNumbers", 422, "VALIDATION_FAILED", c => c.Admin(HttpMethod.Get, "/v1/admin/organizations/BAD!/numbers")),

        // WebhookService
        new("CreateWebhook", 201, "", c => c.Api(HttpMethod.Post, "/v1/webhooks", Hook(ContractContext.HookUrl))),
        new("CreateWebhook", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Post, "/v1/webhooks", Hook("not a url"))),
        new("ListWebhooks", 200, "", c => c.Api(HttpMethod.Get, "/v1/webhooks?page_size=5")),
        new("ListWebhooks", 422, "VALIDATION_FAILED", c => c.Api(HttpMethod.Get, "/v1/webhooks?page_size=-1")),
        new("GetWebhook", 200, "", async c => await c.Api(HttpMethod.Get, $"/v1/webhooks/{await c.NewWebhookAsync()}")),
        new("GetWebhook", 404, "NOT_FOUND", c => c.Api(HttpMethod.Get, "/v1/webhooks/wh_missing")),
        new("UpdateWebhook", 200, "", async c => await c.Api(HttpMethod.Patch, $"/v1/webhooks/{await c.NewWebhookAsync()}", new JsonObject { ["description"] = "renamed" })),
        new("UpdateWebhook", 404, "NOT_FOUND", c => c.Api(HttpMethod.Patch, "/v1/webhooks/wh_missing", new JsonObject { ["description"] = "renamed" })),
        new("UpdateWebhook", 422, "VALIDATION_FAILED", async c => await c.Api(HttpMethod.Patch, $"/v1/webhooks/{await c.NewWebhookAsync()}", new JsonObject { ["url"] = "not a url" })),
        new("DeleteWebhook", 200, "", async c => await c.Api(HttpMethod.Delete, $"/v1/webhooks/{await c.NewWebhookAsync()}")),
        new("DeleteWebhook", 404, "NOT_FOUND", c => c.Api(HttpMethod.Delete, "/v1/webhooks/wh_missing")),
        new("RotateWebhookSecret", 200, "", async c => await c.Api(HttpMethod.Post, $"/v1/webhooks/{await c.NewWebhookAsync()}:rotate-secret")),
        new("RotateWebhookSecret", 404, "NOT_FOUND", c => c.Api(HttpMethod.Post, "/v1/webhooks/wh_missing:rotate-secret")),
        new("TestWebhook", 202, "", async c => await c.Api(HttpMethod.Post, $"/v1/webhooks/{await c.NewWebhookAsync()}:test")),
        new("TestWebhook", 404, "NOT_FOUND", c => c.Api(HttpMethod.Post, "/v1/webhooks/wh_missing:test")),
        new("ListWebhookDeliveries", 200, "", async c => await c.Api(HttpMethod.Get, $"/v1/webhooks/{await c.NewWebhookAsync()}/deliveries?page_size=5")),
        new("ListWebhookDeliveries", 404, "NOT_FOUND", c => c.Api(HttpMethod.Get, "/v1/webhooks/wh_missing/deliveries")),
        new("ListWebhookDeliveries", 422, "VALIDATION_FAILED", async c => await c.Api(HttpMethod.Get, $"/v1/webhooks/{await c.NewWebhookAsync()}/deliveries?page_size=-1")),
    ];

    /// <summary>The verb (lower case, as OpenAPI writes it) and path of one binding.</summary>
    public static (string Verb, string Path) Route(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("get", rule.Get),
        HttpRule.PatternOneofCase.Post => ("post", rule.Post),
        HttpRule.PatternOneofCase.Put => ("put", rule.Put),
        HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
        HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
        HttpRule.PatternOneofCase.Custom => (rule.Custom.Kind.ToLowerInvariant(), rule.Custom.Path),
        _ => throw new ArgumentException($"no pattern in {rule}"),
    };

    private static JsonObject Send(string to, string text = "contract", string from = ContractContext.DevSender) =>
        new() { ["from"] = from, ["to"] = to, ["text"] = text, ["priority"] = "high", ["tag"] = "contract" };

    private static JsonObject Upload(string mimeType) => new() { ["mime_type"] = mimeType, ["byte_size"] = 1024 };

    private static JsonObject Scopes(string scope) => new() { ["scopes"] = new JsonArray(scope) };

    private static JsonObject Number(string number) => new() { ["number"] = number };

    private static JsonObject Hook(string url) => new() { ["url"] = url, ["events"] = new JsonArray("message.received") };

    internal static HttpRequestMessage Request(HttpMethod method, string path, string credential, JsonNode? body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }
}
