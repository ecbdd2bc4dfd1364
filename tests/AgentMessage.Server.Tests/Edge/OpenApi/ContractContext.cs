using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Core.Access;
using AgentMessage.Server.Edge.OpenApi;
using AgentMessage.Server.Hosting;

namespace AgentMessage.Server.Tests.Edge.OpenApi;

/// <summary>
/// A real server (in memory, delivering through the carrier simulator, with an operator token) behind
/// a validating proxy that checks every answer against the document the server serves.
/// </summary>
public sealed class ContractContext : IAsyncLifetime
{
    public const string OperatorToken = "contract-operator-token-0123456789abcdef";
    public const string DevSender = "+15551112222";
    public const string Consenting = "+15554443333";
    public const string HookUrl = "http://127.0.0.1:9/hook";

    private static int numbers = Random.Shared.Next(0, 500_000);
    private string? delivered;
    private string? documentPath;

    public TestServer Server { get; private set; } = null!;

    public PrismProxy Proxy { get; private set; } = null!;

    public HttpClient ThroughProxy { get; private set; } = null!;

    /// <summary>The served document, as the proxy validates against it.</summary>
    public JsonObject Document { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        Server = await TestServer.StartAsync(new Dictionary<string, string>
        {
            ["AgentMessage:Admin:Token"] = OperatorToken,
            ["AgentMessage:Delivery:Workers"] = "1",

            // Webhook endpoints on a loopback URL nobody answers (deliveries fail, which no case reads).
            ["AgentMessage:Webhooks:RequireHttps"] = "false",
            ["AgentMessage:Webhooks:AllowPrivateNetworks"] = "true",
            ["AgentMessage:Webhooks:MaxPerOrganization"] = "1000",
        });
        var document = await Server.Rest.GetStringAsync(OpenApiRegistration.DocumentPath, ct);
        Document = JsonNode.Parse(document)!.AsObject();
        documentPath = Path.Combine(Path.GetTempPath(), $"agentmessage-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(documentPath, document, ct);
        Proxy = await PrismProxy.StartAsync(documentPath, Server.RestUrl, ct);
        ThroughProxy = new HttpClient { BaseAddress = Proxy.Url };
        TestContext.Current.SendDiagnosticMessage($"Prism started in {Proxy.Startup.TotalSeconds:0.0} s");
    }

    public async ValueTask DisposeAsync()
    {
        ThroughProxy?.Dispose();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (documentPath is not null)
        {
            File.Delete(documentPath);
        }
    }

    /// <summary>A call with an API key (the development key, with every scope, unless another is given).</summary>
    public Task<HttpRequestMessage> Api(HttpMethod method, string path, JsonNode? body = null, string? key = null, string? credential = null) =>
        Task.FromResult(RestContractCases.Request(method, path, credential ?? TestServer.DevKey, body, key));

    /// <summary>A call to the operator API.</summary>
    public Task<HttpRequestMessage> Admin(HttpMethod method, string path, JsonNode? body = null) =>
        Task.FromResult(RestContractCases.Request(method, path, OperatorToken, body, null));

    /// <summary>Sends a request straight to the server (set-up, not checked by the proxy).</summary>
    public async Task<JsonNode> DirectAsync(Task<HttpRequestMessage> request, int expected)
    {
        using var message = await request;
        using var response = await Server.Rest.SendAsync(message, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == expected, $"set-up {message.Method} {message.RequestUri} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>An accepted message's id; with <paramref name="scheduled"/>, one that waits an hour.</summary>
    public async Task<string> SendAsync(bool scheduled = false)
    {
        var body = new JsonObject { ["from"] = DevSender, ["to"] = Consenting, ["text"] = "contract set-up" };
        if (scheduled)
        {
            body["send_at"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        }

        var answer = await DirectAsync(Api(HttpMethod.Post, "/v1/messages", body), 202);
        return (string)answer["data"]!["id"]!;
    }

    /// <summary>A message the carrier simulator has delivered (final: no longer cancelable, its stream ends at once).</summary>
    public async Task<string> DeliveredAsync()
    {
        if (delivered is not null)
        {
            return delivered;
        }

        var id = await SendAsync();
        var ct = TestContext.Current.CancellationToken;
        Assert.True(
            await Eventually.HoldsAsync(
                async () => (string?)(await DirectAsync(Api(HttpMethod.Get, $"/v1/messages/{id}"), 200))["data"]!["status"] == "delivered",
                TimeSpan.FromSeconds(30),
                ct),
            "the simulator did not deliver the set-up message");
        return delivered = id;
    }

    /// <summary>A fresh number, E.164 and never used before in this run.</summary>
    public string NewNumber() => "+1555" + Interlocked.Increment(ref numbers).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A number that has just opted in to the development organization, URL-encoded for a path.</summary>
    public async Task<string> ConsentingNumberAsync()
    {
        var number = NewNumber();
        await DirectAsync(Api(HttpMethod.Post, "/v1/consents", new JsonObject { ["number"] = number, ["source"] = "web form" }), 200);
        return Uri.EscapeDataString(number);
    }

    public async Task<string> NewOrganizationAsync()
    {
        var answer = await DirectAsync(Admin(HttpMethod.Post, "/v1/admin/organizations", new JsonObject { ["name"] = "Contract set-up" }), 201);
        return (string)answer["data"]!["id"]!;
    }

    /// <summary>The path of a new API key of a new organization.</summary>
    public async Task<string> NewApiKeyPathAsync()
    {
        var organization = await NewOrganizationAsync();
        var answer = await DirectAsync(Admin(HttpMethod.Post, $"/v1/admin/organizations/{organization}/api-keys", new JsonObject { ["scopes"] = new JsonArray("messages:read") }), 201);
        return $"/v1/admin/organizations/{organization}/api-keys/{(string)answer["data"]!["api_key"]!["id"]!}";
    }

    /// <summary>The path of a number a new organization has just added.</summary>
    public async Task<string> NewNumberPathAsync()
    {
        var organization = await NewOrganizationAsync();
        var number = NewNumber();
        await DirectAsync(Admin(HttpMethod.Post, $"/v1/admin/organizations/{organization}/numbers", new JsonObject { ["number"] = number }), 201);
        return $"/v1/admin/organizations/{organization}/numbers/{Uri.EscapeDataString(number)}";
    }

    /// <summary>A new webhook endpoint of the development organization; returns its id.</summary>
    public async Task<string> NewWebhookAsync()
    {
        var answer = await DirectAsync(Api(HttpMethod.Post, "/v1/webhooks", new JsonObject { ["url"] = HookUrl, ["events"] = new JsonArray("message.received") }), 201);
        return (string)answer["data"]!["id"]!;
    }

    /// <summary>A new organization whose buckets hold one token and barely refill.</summary>
    public Task<(string Key, string Sender, string Recipient)> LimitedOrganizationAsync()
    {
        var limit = new JsonObject { ["burst"] = 1, ["per_second"] = 0.001 };
        return OrganizationAsync(new JsonObject { ["send_rate_limit"] = limit, ["media_upload_rate_limit"] = limit.DeepClone() });
    }

    /// <summary>A new organization with MMS switched off.</summary>
    public Task<(string Key, string Sender, string Recipient)> MmsDisabledOrganizationAsync() =>
        OrganizationAsync(new JsonObject { ["mms_enabled"] = false });

    private async Task<(string Key, string Sender, string Recipient)> OrganizationAsync(JsonObject settings)
    {
        var id = $"org_contract_{Guid.NewGuid():N}";
        var (sender, recipient) = (NewNumber(), NewNumber());
        var key = await Server.AddOrganizationAsync(id, Scopes.All, sender, recipient);
        await DirectAsync(Admin(HttpMethod.Patch, $"/v1/admin/organizations/{id}", settings), 200);
        return (key, sender, recipient);
    }

    /// <summary>
    /// Sends <paramref name="request"/> through the proxy; null when the answer has the expected
    /// status and code and matched the document, else what went wrong.
    /// </summary>
    public async Task<string?> CheckAsync(string name, HttpRequestMessage request, int status, string code)
    {
        using var response = await ThroughProxy.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var problems = new List<string>();
        if ((int)response.StatusCode != status)
        {
            problems.Add($"answered {(int)response.StatusCode}, not {status}");
        }

        if (response.Headers.TryGetValues(PrismProxy.ViolationsHeader, out var violations))
        {
            problems.Add($"violations: {string.Join(' ', violations)}");
        }

        if (code.Length > 0 && (int)response.StatusCode == status && (string?)JsonNode.Parse(body)?["error"]?["code"] != code)
        {
            problems.Add($"error code is not {code}");
        }

        return problems.Count == 0 ? null : $"{name} ({request.Method} {request.RequestUri}): {string.Join("; ", problems)}\n{body}";
    }

    /// <summary>The development organization's path values for a generic request (any syntactically valid value).</summary>
    public static string FillPath(string path) => System.Text.RegularExpressions.Regex.Replace(path, @"\{([^}]+)\}", match => match.Groups[1].Value switch
    {
        "organization_id" => DevSeed.OrganizationId,
        "key_id" => "key_missing",
        "number" => "%2B15557000999",
        _ => "00000000-0000-4000-8000-000000000000",
    });

    public static HttpStatusCode Status(int status) => (HttpStatusCode)status;
}
