using System.Collections.Frozen;
using AgentMessage.Core.Access;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;
using AgentMessage.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// Runs around every RPC, native or transcoded: authenticates the API key, checks the scope the
/// RPC's <c>required_scope</c> option names, raises a request problem held by the REST facade (the
/// JSON body) or by <see cref="RequestMessageGuard"/> (the native message), and
/// turns every failure into the error table's form: its own refusals of a unary call end it as
/// values (<see cref="CallRefusal"/>), as a service's do, and anything thrown is translated here.
/// Services of our package that state no scope are refused to everyone; other services (health,
/// reflection) are public.
/// </summary>
public sealed partial class ApiCallInterceptor(ApiKeyAuthenticator authenticator, AdminAuthenticator admin, ILogger<ApiCallInterceptor> logger) : Interceptor
{
    /// <summary>The largest gRPC message the framework decodes at all.</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    private const string OwnPackage = "agentmessage.v1";

    /// <summary>Every service file of the contract; a new service's file is added here.</summary>
    private static readonly FileDescriptor[] ServiceFiles =
    [
        MessagingServiceReflection.Descriptor,
        AdminServiceReflection.Descriptor,
        ConsentServiceReflection.Descriptor,
        LookupServiceReflection.Descriptor,
        WebhookServiceReflection.Descriptor,
    ];

    /// <summary>Each RPC's access rule, read from its options once: <c>GetOptions()</c> copies the
    /// options message on every call.</summary>
    private static readonly FrozenDictionary<string, AccessRule> OwnMethods =
        ServiceFiles
            .SelectMany(file => file.Services)
            .SelectMany(service => service.Methods)
            .ToFrozenDictionary(
                method => $"/{method.Service.FullName}/{method.Name}",
                method => new AccessRule(
                    method.GetOptions()?.GetExtension(AccessExtensions.AdminOnly) == true,
                    method.GetOptions()?.GetExtension(AccessExtensions.RequiredScope) ?? string.Empty),
                StringComparer.Ordinal);

    /// <summary>Whether <paramref name="method"/> (<c>/package.Service/Method</c>) is one of the
    /// contract's RPCs, whose requests are held to the contract's 64 KiB.</summary>
    public static bool IsContractMethod(string method) => OwnMethods.ContainsKey(method);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            if (await AdmitAsync(context, request) is { } refusal)
            {
                return context.Refuse<TResponse>(refusal);
            }

            return await continuation(request, context);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            if (await AdmitAsync(context, request) is { } refusal)
            {
                // Streams are not the hot path: a refusal before the first message is thrown, as
                // the framework's streaming handlers expect.
                throw new RefusalException(refusal);
            }

            await continuation(request, responseStream, context);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away (closed its stream, or the server is stopping): the end of the
            // stream, not a fault, and nobody is left to tell otherwise.
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            if (await AdmitAsync(context, request: null) is { } refusal)
            {
                throw new RefusalException(refusal);
            }

            return await continuation(new RefusingRequestStream<TRequest>(requestStream, context), context);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            if (await AdmitAsync(context, request: null) is { } refusal)
            {
                throw new RefusalException(refusal);
            }

            await continuation(new RefusingRequestStream<TRequest>(requestStream, context), responseStream, context);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // As for a server stream: the client went away, and nobody is left to tell.
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Authentication, scope, and the request's own problems: the refusal, or null to go on.</summary>
    /// <param name="request">The request message; null for a stream of them, read by the service.</param>
    private async ValueTask<Refusal?> AdmitAsync(ServerCallContext context, object? request)
    {
        var http = context.GetHttpContext();
        if (!OwnMethods.TryGetValue(context.Method, out var rule))
        {
            // A public service's request can be malformed too (RequestMessageGuard).
            return context.Method.StartsWith($"/{OwnPackage}.", StringComparison.Ordinal) ? new Refusal(RefusalKind.Forbidden) : CallState.Of(http).RequestProblem;
        }

        if (rule.AdminOnly)
        {
            admin.Authenticate(http.Request.Headers.Authorization);
        }
        else
        {
            var caller = await authenticator.AuthenticateAsync(http.Request.Headers.Authorization, context.CancellationToken);
            if (caller is null)
            {
                return new Refusal(RefusalKind.Unauthorized);
            }

            if (rule.RequiredScope.Length == 0 || !caller.Scopes.Contains(rule.RequiredScope))
            {
                return new Refusal(RefusalKind.Forbidden, details: new Dictionary<string, string> { ["scope"] = rule.RequiredScope });
            }

            CallState.Of(http).Caller = caller;
        }

        if (CallState.Of(http).RequestProblem is { } problem)
        {
            return problem;
        }

        // The REST facade already bounds the JSON body; this bounds the native face the same way.
        if (request is Google.Protobuf.IMessage message && message.CalculateSize() > RestFacadeMiddleware.MaxRequestBodyBytes)
        {
            return new Refusal(RefusalKind.PayloadTooLarge, $"request must be at most {RestFacadeMiddleware.MaxRequestBodyBytes} bytes");
        }

        return null;
    }

    /// <summary>The exception to throw instead, or null to let this one through unchanged.</summary>
    private RpcException? Translate(Exception exception, ServerCallContext context)
    {
        var failure = exception switch
        {
            OperationCanceledException when context.CancellationToken.IsCancellationRequested => null,
            RpcException => null,
            _ => Refusal.Of(exception) ?? Unexpected(exception),
        };
        return failure is null ? null : GrpcRefusals.Record(context.GetHttpContext(), failure).ToRpcException();
    }

    private Refusal Unexpected(Exception exception)
    {
        LogUnhandled(exception);
        return new Refusal(RefusalKind.Internal);
    }

    [LoggerMessage(LogLevel.Error, "Unhandled exception in RPC")]
    private partial void LogUnhandled(Exception exception);

    /// <summary>An RPC's <c>admin_only</c> and <c>required_scope</c> options (empty: none stated).</summary>
    private sealed record AccessRule(bool AdminOnly, string RequiredScope);
}
