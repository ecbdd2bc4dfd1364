using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;

namespace AgentMessage.Testing;

/// <summary>
/// A real fake S3: <c>@20minutes/s3rver</c> 5.0.0 (from the repository root's node_modules, installed by
/// <c>npm ci</c>) run by node on a free loopback port, storing objects in a fresh temporary directory, with
/// one bucket created before it answers. It checks SigV4 signatures, presigned URLs included (a changed
/// path, Content-Length or Content-Type is refused with 403, and so is an expired URL), and accepts
/// path-style requests only (<c>ForcePathStyle = true</c>). It does not implement <c>If-None-Match</c> on
/// PUT. Disposing stops node and deletes the directory.
/// </summary>
/// <remarks>A crashed starter leaves no server behind: node runs as a <see cref="ChildProcess"/>.</remarks>
public sealed class S3Server : IAsyncDisposable
{
    /// <summary>s3rver's built-in account (lib/models/account.js): access key and secret are both "S3RVER".</summary>
    private const string Credential = "S3RVER";

    private const string SolutionFile = "AgentMessage.sln";
    private const string ScriptFileName = "s3rver.mjs";
    private const string ModuleRelativePath = "node_modules/@20minutes/s3rver/package.json";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private ChildProcess? process;
    private bool disposed;

    private S3Server(string bucket, string dataDirectory)
    {
        Bucket = bucket;
        DataDirectory = dataDirectory;
    }

    /// <summary>http://127.0.0.1:PORT — the S3 endpoint (<c>AmazonS3Config.ServiceURL</c>).</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The loopback port the server listens on.</summary>
    public int Port => ServiceUrl.Port;

    /// <summary>The bucket created at start.</summary>
    public string Bucket { get; }

    /// <summary>The access key s3rver knows ("S3RVER"); any other one is refused with 403 InvalidAccessKeyId.</summary>
    public string AccessKey => Credential;

    /// <summary>The secret of <see cref="AccessKey"/> ("S3RVER").</summary>
    public string SecretKey => Credential;

    /// <summary>The signing region; s3rver accepts any region that the signature was computed with.</summary>
    public string Region => "us-east-1";

    /// <summary>Where s3rver stores buckets and objects; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the node process is still running.</summary>
    public bool IsRunning => process is { HasExited: false };

    /// <summary>
    /// The AWSSDK.S3 v4 settings that work against this server: <see cref="ServiceUrl"/> as
    /// <c>ServiceURL</c> (http, so requests go out as http), <c>ForcePathStyle</c> (s3rver finds the bucket
    /// in the path; 127.0.0.1 cannot carry a bucket subdomain) and <c>AuthenticationRegion</c> (the region
    /// in the SigV4 credential scope). <c>RequestChecksumCalculation = WHEN_REQUIRED</c> is required: by
    /// default v4 adds a CRC32 trailer to every PutObject (over http <c>x-amz-content-sha256:
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER</c> with <c>x-amz-trailer: x-amz-checksum-crc32</c>),
    /// which s3rver refuses with 400 InvalidArgument; with WHEN_REQUIRED the SDK sends a SigV4-signed
    /// aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) that s3rver decodes.
    /// <c>ResponseChecksumValidation</c> can stay at its default: s3rver ignores <c>x-amz-checksum-mode</c>
    /// and returns no checksum, so there is nothing to validate. Presigned URLs ignore <c>ServiceURL</c>'s
    /// scheme and <c>UseHttp</c>: set <c>GetPreSignedUrlRequest.Protocol = Protocol.HTTP</c>, or the URL
    /// is https.
    /// </summary>
    public AmazonS3Config CreateClientConfig() => new()
    {
        ServiceURL = ServiceUrl.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = Region,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
    };

    /// <summary>An S3 client for this server: <see cref="CreateClientConfig"/> with <see cref="AccessKey"/>/<see cref="SecretKey"/>.</summary>
    public AmazonS3Client CreateClient() => new(new BasicAWSCredentials(AccessKey, SecretKey), CreateClientConfig());

    /// <summary>Starts s3rver on a free loopback port with <paramref name="bucket"/> created, and waits until it listens.</summary>
    public static async Task<S3Server> StartAsync(string bucket, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        var repositoryRoot = FindRepositoryRoot();
        if (!File.Exists(Path.Combine(repositoryRoot, ModuleRelativePath)))
        {
            throw new InvalidOperationException(
                $"@20minutes/s3rver is not installed in {Path.Combine(repositoryRoot, "node_modules")}: run `npm ci` at the repository root "
                + "(or `bash .ci/test`, which runs it when the package is missing).");
        }

        var script = Path.Combine(AppContext.BaseDirectory, ScriptFileName);
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} is missing: AgentMessage.Testing copies {ScriptFileName} to the output directory of every project that references it; rebuild.");
        }

        var node = FindExecutable("node")
            ?? throw new InvalidOperationException("node was not found on PATH: the S3 tests run @20minutes/s3rver with Node.js (20 or later).");
        var dataDirectory = Directory.CreateTempSubdirectory("agentmessage-s3-").FullName;
        var server = new S3Server(bucket, dataDirectory);
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // Port 0: the script binds a free port itself and reports it, so no other process can take it in between.
            server.process = ChildProcess.Start("s3rver", node, [script, "0", dataDirectory, bucket, repositoryRoot], repositoryRoot, onOutputLine: line =>
            {
                if (line.StartsWith("READY ", StringComparison.Ordinal)
                    && int.TryParse(line.AsSpan("READY ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                {
                    ready.TrySetResult(port);
                }
            });

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            var exited = server.process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(ready.Task, exited);
            if (first == ready.Task)
            {
                server.ServiceUrl = new Uri($"http://127.0.0.1:{(await ready.Task).ToString(CultureInfo.InvariantCulture)}");
                return server;
            }

            try
            {
                await exited;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"s3rver did not report READY within {StartTimeout.TotalSeconds:0} s.\n{server.LogTail()}");
            }

            throw new InvalidOperationException($"s3rver exited with code {server.process.ExitCode} before it was ready.\n{server.LogTail()}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops node (SIGTERM, then killing it if it lingers) and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (process is not null)
        {
            await process.StopAsync(StopTimeout);
            await process.DisposeAsync();
        }

        // The process is gone; a file it had open may still be in the way for a moment.
        for (var attempt = 1; Directory.Exists(DataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>The last lines node printed (s3rver itself is silent; errors and 5xx causes land here), for failure messages.</summary>
    public string LogTail() => process?.Tail ?? string.Empty;

    /// <summary>The folder holding AgentMessage.sln, found by walking up from the test assembly's folder.</summary>
    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} above {AppContext.BaseDirectory}: S3Server needs the repository root, whose node_modules holds @20minutes/s3rver.");
    }

    private static string? FindExecutable(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
