using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using AgentMessage.Server.Edge.OpenApi;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentMessage.Server.Tests.Edge.OpenApi;

/// <summary>The served document, the committed copy, its lint and the reference page.</summary>
public sealed class OpenApiDocumentTests(SharedServer shared) : IClassFixture<SharedServer>
{
    /// <summary>Set to 1 to write the served document to docs/openapi.json instead of comparing (.ci/openapi does).</summary>
    public const string WriteVariable = "AGENTMESSAGE_WRITE_OPENAPI";

    public const string CommittedPath = "docs/openapi.json";

    private const string RegenerateCommand = "bash .ci/openapi";

    private TestServer Server => shared.Server;

    [Fact]
    public async Task ServedDocument_MatchesCommittedDocsOpenapiJson()
    {
        var served = await Server.Rest.GetStringAsync(OpenApiRegistration.DocumentPath, TestContext.Current.CancellationToken);
        var committedPath = Path.Combine(PrismProxy.RepositoryRoot(), CommittedPath);
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            await File.WriteAllTextAsync(committedPath, served.ReplaceLineEndings("\n") + "\n", TestContext.Current.CancellationToken);
        }

        Assert.True(File.Exists(committedPath), $"{CommittedPath} is missing: run `{RegenerateCommand}` to generate it.");
        var committed = await File.ReadAllTextAsync(committedPath, TestContext.Current.CancellationToken);
        Assert.True(
            committed.ReplaceLineEndings("\n").TrimEnd('\n') == served.ReplaceLineEndings("\n").TrimEnd('\n'),
            $"{CommittedPath} differs from the document the server serves at {OpenApiRegistration.DocumentPath}: run `{RegenerateCommand}` to regenerate it, and commit it.");
    }

    [Fact]
    public async Task Document_WithoutCredentials_IsServedAsBareOpenApi3Json()
    {
        using var response = await Server.Rest.GetAsync(OpenApiRegistration.DocumentPath, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.StartsWith("3.0", (string?)document["openapi"], StringComparison.Ordinal);
        Assert.False(document.ContainsKey("success"), "the document is not wrapped in the envelope");
    }

    [Fact]
    public async Task DocsPage_WithoutCredentials_RendersTheServedDocumentFromLocalAssets()
    {
        var ct = TestContext.Current.CancellationToken;
        using var page = await Server.Rest.GetAsync(OpenApiRegistration.DocsPath + "/", ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.Contains("src=\"scalar.js\"", html, StringComparison.Ordinal);

        // The page's script is served by this server, not fetched from a CDN.
        using var script = await Server.Rest.GetAsync(OpenApiRegistration.DocsPath + "/scalar.js", ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        // The page's script resolves "openapi/v1.json" against the site's root, the page's path
        // (/docs/) taken off: the document's own URL.
        Assert.Contains("'%2Fdocs%2F'", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Document_DescribesEveryTranscodedEndpoint_WithItsScopeFromTheProto()
    {
        var document = JsonNode.Parse(await Server.Rest.GetStringAsync(OpenApiRegistration.DocumentPath, TestContext.Current.CancellationToken))!;
        var bindings = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>())
            .OfType<GrpcJsonTranscodingMetadata>()
            .ToList();
        Assert.NotEmpty(bindings);

        foreach (var metadata in bindings)
        {
            var (verb, path) = RestContractCases.Route(metadata.HttpRule);
            var operation = document["paths"]?[path]?[verb];
            Assert.True(operation is not null, $"{verb.ToUpperInvariant()} {path} ({metadata.MethodDescriptor.FullName}) is not in the document");
            var method = metadata.MethodDescriptor;
            Assert.Equal(RestOperationFacts.RequiredScope(method), (string?)operation![RestOperationFilter.RequiredScopeExtension]);
            var scheme = RestOperationFacts.AdminOnly(method) ? RestOperationFilter.OperatorScheme : RestOperationFilter.ApiKeyScheme;
            Assert.True(operation["security"]![0]!.AsObject().ContainsKey(scheme), $"{method.Name} names the {scheme} scheme");
        }
    }

    [Fact]
    public async Task CommittedDocument_PassesRedoclyLintWithoutErrors()
    {
        var root = PrismProxy.RepositoryRoot();
        var cli = Path.Combine(root, "node_modules/@redocly/cli/bin/cli.js");
        Assert.True(File.Exists(cli), "@redocly/cli is not installed: run `npm ci` at the repository root");
        var start = new ProcessStartInfo("node") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { cli, "lint", CommittedPath, "--format=stylish" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        start.Environment["NO_COLOR"] = "1";
        using var lint = Process.Start(start)!;
        var output = lint.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = lint.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await lint.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(lint.ExitCode == 0, $"redocly lint {CommittedPath} failed:\n{await output}\n{await errors}");
    }
}
