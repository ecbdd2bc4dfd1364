namespace AgentMessage.Client;

/// <summary>
/// Where a client connects and how it retries: shared by <see cref="AgentMessageClientOptions"/>
/// and <see cref="AgentMessageAdminClientOptions"/>.
/// </summary>
public abstract class AgentMessageConnectionOptions
{
    /// <summary>
    /// The server's gRPC address, e.g. <c>https://messaging.example.com</c> or, for a local
    /// server, <c>http://localhost:8081</c> (cleartext HTTP/2). Required.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>How failed calls are retried (see <see cref="AgentMessageRetryOptions"/>).</summary>
    public AgentMessageRetryOptions Retry { get; set; } = new();

    /// <summary>
    /// The HTTP handler the gRPC channel sends through (a proxy, client certificates, a test
    /// interceptor). The client owns it and disposes it with itself. Null: a
    /// <see cref="SocketsHttpHandler"/> with HTTP/2 keep-alive pings and several HTTP/2 connections
    /// when one is full.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>The clock the retry delays run on; null: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Throws when a required setting is missing or malformed.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    internal virtual void Validate()
    {
        if (Endpoint is null)
        {
            throw new ArgumentException("AgentMessage client: Endpoint is required (the server's gRPC address, e.g. http://localhost:8081).", nameof(Endpoint));
        }

        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"AgentMessage client: Endpoint must be an absolute http:// or https:// address, not '{Endpoint}'.", nameof(Endpoint));
        }

        Retry.Validate();
    }
}

/// <summary>Settings of an <see cref="AgentMessageClient"/>: the endpoint, the API key and the retry policy.</summary>
public sealed class AgentMessageClientOptions : AgentMessageConnectionOptions
{
    /// <summary>The configuration section <c>AddAgentMessageClient(configuration)</c> reads by convention.</summary>
    public const string SectionName = "AgentMessageClient";

    /// <summary>The organization's API key (<c>am_live_...</c>), sent as <c>authorization: Bearer</c>. Required.</summary>
    public string? ApiKey { get; set; }

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("AgentMessage client: ApiKey is required (am_live_...).", nameof(ApiKey));
        }
    }
}

/// <summary>Settings of an <see cref="AgentMessageAdminClient"/>: the endpoint, the operator token and the retry policy.</summary>
public sealed class AgentMessageAdminClientOptions : AgentMessageConnectionOptions
{
    /// <summary>The configuration section <c>AddAgentMessageAdminClient(configuration)</c> reads by convention.</summary>
    public const string SectionName = "AgentMessageAdminClient";

    /// <summary>The server's operator token (<c>AgentMessage:Admin:Token</c>), sent as <c>authorization: Bearer</c>. Required.</summary>
    public string? AdminToken { get; set; }

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(AdminToken))
        {
            throw new ArgumentException("AgentMessage admin client: AdminToken is required (the server's AgentMessage:Admin:Token).", nameof(AdminToken));
        }
    }
}

/// <summary>
/// Bounds of the client's retries. A call is retried only when repeating it cannot do anything
/// twice (reads, calls whose effect is the same however often they run, and sends that carry an
/// idempotency key), and only after <c>UNAVAILABLE</c>, <c>RESOURCE_EXHAUSTED</c> (rate limited) or,
/// for a keyed send, <c>ABORTED</c> <c>IDEMPOTENCY_IN_PROGRESS</c>. Each wait is the larger of an
/// exponential backoff with jitter and the server's hint (<c>google.rpc.RetryInfo</c>, else
/// <c>retry-after</c>); a hint longer than <see cref="MaxDelay"/> is not waited for: the error is thrown.
/// </summary>
public sealed class AgentMessageRetryOptions
{
    /// <summary>Attempts of one unary call in all, the first included (default 4). 1 turns retries off.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The backoff before the first retry (default 200 ms); it doubles per retry, with jitter, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait before a retry (default 30 s): the backoff's ceiling, and the longest server hint honoured.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reconnections of a status stream in a row with no event between them before the stream gives
    /// up and throws the last error (default 20). Receiving an event starts the count again.
    /// </summary>
    public int MaxStreamReconnects { get; set; } = 20;

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentException("AgentMessage client: Retry.MaxAttempts must be at least 1.", nameof(MaxAttempts));
        }

        if (InitialBackoff <= TimeSpan.Zero || MaxDelay < InitialBackoff)
        {
            throw new ArgumentException("AgentMessage client: Retry.InitialBackoff must be positive and at most Retry.MaxDelay.", nameof(InitialBackoff));
        }

        if (MaxStreamReconnects < 0)
        {
            throw new ArgumentException("AgentMessage client: Retry.MaxStreamReconnects must not be negative.", nameof(MaxStreamReconnects));
        }
    }
}
