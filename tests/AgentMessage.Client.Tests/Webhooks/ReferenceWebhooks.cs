using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentMessage.Client.Tests.Webhooks;

/// <summary>
/// The npm standardwebhooks package (the specification's reference implementation), run by node
/// through standardwebhooks.mjs: one process per batch of sign and verify requests.
/// </summary>
public static class ReferenceWebhooks
{
    /// <summary>Runs the batch; returns one result object per request.</summary>
    public static async Task<List<JsonObject>> RunAsync(params JsonObject[] requests)
    {
        var module = Path.Combine(Repository.Root, "node_modules", "standardwebhooks", "package.json");
        Assert.True(File.Exists(module), $"standardwebhooks is not installed in {Repository.Root}/node_modules: run `npm ci` at the repository root.");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Webhooks", "standardwebhooks.mjs"));
        start.ArgumentList.Add(Repository.Root);
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var ct = TestContext.Current.CancellationToken;
        var output = node.StandardOutput.ReadToEndAsync(ct);
        var errors = node.StandardError.ReadToEndAsync(ct);
        await node.StandardInput.WriteAsync(new JsonArray([.. requests]).ToJsonString());
        node.StandardInput.Close();
        await node.WaitForExitAsync(ct);
        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await errors}");
        return [.. JsonSerializer.Deserialize<JsonArray>(await output)!.Select(result => result!.AsObject())];
    }

    public static JsonObject Sign(string secret, string id, DateTimeOffset timestamp, string payload) => new()
    {
        ["op"] = "sign",
        ["secret"] = secret,
        ["id"] = id,
        ["timestamp"] = timestamp.ToUnixTimeSeconds(),
        ["payload"] = payload,
    };

    public static JsonObject Verify(IEnumerable<string> secrets, IDictionary<string, string> headers, string payload) => new()
    {
        ["op"] = "verify",
        ["secrets"] = new JsonArray([.. secrets.Select(s => (JsonNode)s)]),
        ["headers"] = new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
        ["payload"] = payload,
    };
}
