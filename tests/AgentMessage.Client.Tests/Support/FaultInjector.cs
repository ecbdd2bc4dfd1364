using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;

namespace AgentMessage.Client.Tests.Support;

/// <summary>What the transport does to one attempt of a call.</summary>
public abstract record Fault
{
    /// <summary>The request goes through untouched.</summary>
    public static readonly Fault None = new PassThrough();

    /// <summary>The request never reaches the server: the connection fails (the client sees UNAVAILABLE).</summary>
    public static readonly Fault ConnectionRefused = new Refused();

    /// <summary>The server receives and processes the request; its answer is lost on the way back.</summary>
    public static readonly Fault AnswerLost = new Lost();

    public sealed record PassThrough : Fault;

    public sealed record Refused : Fault;

    public sealed record Lost : Fault;

    /// <summary>The attempt is answered, without reaching the server, by a gRPC error carrying a
    /// google.rpc.Status with ErrorInfo <paramref name="Reason"/> and, when given, RetryInfo.</summary>
    public sealed record Status(Grpc.Core.StatusCode Code, string Reason, TimeSpan? RetryDelay) : Fault;
}

/// <summary>
/// An HTTP handler under the client's gRPC channel that records every attempt (gRPC method and
/// idempotency-key) and applies the <see cref="Plan"/>'s fault to it before the real transport.
/// </summary>
public sealed class FaultInjector() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly ConcurrentQueue<Attempt> attempts = new();

    /// <summary>One call attempt as it left the client.</summary>
    public sealed record Attempt(string Method, string? IdempotencyKey);

    /// <summary>Decides the fault of an attempt from its gRPC method name (e.g. "SendMessage") and
    /// its 1-based number among that method's attempts.</summary>
    public Func<string, int, Fault> Plan { get; set; } = (_, _) => Fault.None;

    /// <summary>Called with each attempt as it is recorded, before its fault is applied.</summary>
    public Action<Attempt>? OnAttempt { get; set; }

    public IReadOnlyList<Attempt> Attempts => [.. attempts];

    public IReadOnlyList<Attempt> AttemptsOf(string method) => [.. attempts.Where(a => a.Method == method)];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.RequestUri!.AbsolutePath.Split('/')[^1];
        var key = request.Headers.TryGetValues("idempotency-key", out var values) ? values.Single() : null;
        Fault fault;
        lock (attempts)
        {
            var attempt = new Attempt(method, key);
            attempts.Enqueue(attempt);
            fault = Plan(method, attempts.Count(a => a.Method == method));
            OnAttempt?.Invoke(attempt);
        }

        switch (fault)
        {
            case Fault.Refused:
                // As SocketsHttpHandler reports a refused connection: the socket error inside.
                throw new HttpRequestException(HttpRequestError.ConnectionError, "injected: connection refused", new SocketException((int)SocketError.ConnectionRefused));
            case Fault.Lost:
                using (var response = await base.SendAsync(request, cancellationToken))
                {
                    // The whole answer, trailers included, has arrived: the server is done with it.
                    await response.Content.LoadIntoBufferAsync(cancellationToken);
                }

                throw new HttpRequestException(HttpRequestError.ResponseEnded, "injected: connection lost before the answer was read", new IOException("The response ended prematurely."));
            case Fault.Status status:
                if (request.Content is not null)
                {
                    await request.Content.ReadAsByteArrayAsync(cancellationToken);
                }

                return TrailersOnly(request, status);
            default:
                return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A gRPC error as a server sends it before any message: status in the headers.</summary>
    private static HttpResponseMessage TrailersOnly(HttpRequestMessage request, Fault.Status fault)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)fault.Code,
            Message = "injected",
            Details = { Any.Pack(new ErrorInfo { Reason = fault.Reason, Domain = "agentmessage.io" }) },
        };
        if (fault.RetryDelay is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Version = HttpVersion.Version20,
            RequestMessage = request,
            Content = new ByteArrayContent([]),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        response.Headers.Add("grpc-status", ((int)fault.Code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        response.Headers.Add("grpc-message", "injected");
        response.Headers.Add("grpc-status-details-bin", Convert.ToBase64String(status.ToByteArray()));
        return response;
    }
}
