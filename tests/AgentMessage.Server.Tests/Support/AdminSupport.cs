using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using AgentMessage.V1;
using Grpc.Core;

namespace AgentMessage.Server.Tests.Support;

/// <summary>The operator's side of a test server: its token, REST calls with it, the gRPC client.</summary>
internal static class Operator
{
    public const string Token = "operator-token-for-tests-0123456789abcdef";

    public static Dictionary<string, string> Settings(IDictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string> { ["AgentMessage:Admin:Token"] = Token };
        foreach (var (key, value) in more ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static Metadata Bearer => TestServer.Bearer(Token);

    public static AdminService.AdminServiceClient Admin(this TestServer server) => new(server.Channel);

    /// <summary>An operator REST call: JSON body when given, the operator token unless another credential is.</summary>
    public static Task<(HttpResponseMessage Response, JsonNode Body)> AdminAsync(this TestServer server, HttpMethod method, string path, string? body = null, string? credential = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (credential is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        }

        return server.Rest.CallAsync(request);
    }

    /// <summary>Creates an organization over REST; returns its id.</summary>
    public static async Task<string> CreateOrganizationAsync(this TestServer server, string name)
    {
        var (response, body) = await server.AdminAsync(HttpMethod.Post, "/v1/admin/organizations", $$"""{"name": "{{name}}"}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (string)body["data"]!["id"]!;
    }

    /// <summary>Creates a key over REST; returns the plaintext and the key id.</summary>
    public static async Task<(string Key, string Id)> CreateKeyAsync(this TestServer server, string organizationId, params string[] scopes)
    {
        var json = new JsonObject { ["scopes"] = new JsonArray([.. scopes.Select(s => (JsonNode)s)]) }.ToJsonString();
        var (response, body) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{organizationId}/api-keys", json);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return ((string)body["data"]!["key"]!, (string)body["data"]!["api_key"]!["id"]!);
    }

    public static async Task AddNumberAsync(this TestServer server, string organizationId, string number)
    {
        var (response, _) = await server.AdminAsync(HttpMethod.Post, $"/v1/admin/organizations/{organizationId}/numbers", $$"""{"number": "{{number}}"}""");
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }

    public static string SendBody(string from, string to, string text = "hello") => $$"""{"from": "{{from}}", "to": "{{to}}", "text": "{{text}}"}""";
}

/// <summary>One embedded-default server with an operator token, shared by a test class.</summary>
public sealed class AdminServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartAsync(Operator.Settings());

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
