using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Pipelines;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge.Rest;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Net.Compression;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AgentMessage.Server.Edge.Grpc;

/// <summary>
/// Reads the one request message of a native unary or server-streaming call before grpc-dotnet
/// does, and judges it as grpc-dotnet would: one length-prefixed frame, within the size limit,
/// decompressible when flagged compressed, and a valid protobuf message of the method's request
/// type. grpc-dotnet reads the message before any interceptor runs and turns most faults in it into
/// <c>UNKNOWN</c> "Exception was thrown by handler." with an error-level stack trace (the others
/// into statuses without ErrorInfo); here a fault becomes the call's request problem
/// (<see cref="CallState.RequestProblem"/>), which <see cref="ApiCallInterceptor"/> raises after
/// authentication, as it does a REST body's, and the framework is handed an empty message to read
/// in its place.
/// </summary>
/// <remarks>
/// A sound message is left in the request pipe unconsumed, so grpc-dotnet reads it from the same
/// buffer. It is parsed twice: under a microsecond for a typical send, tens of microseconds for
/// the largest one the contract allows; a message over the contract's 64 KiB is refused unparsed
/// (it used to be parsed first, and refused after authentication). A sound compressed message is
/// handed on inflated, so it is inflated once, and never past the limit (grpc-dotnet inflates
/// without one).
/// </remarks>
public sealed partial class RequestMessageGuard(RequestDelegate next, IOptions<GrpcServiceOptions> options, ILogger<RequestMessageGuard> logger)
{
    private const int HeaderSize = 5;

    /// <summary>Bytes that are not a valid protobuf message of the request type (both kinds of call).</summary>
    internal static readonly Refusal Malformed = new(RefusalKind.BadRequest, "request message is malformed");

    /// <summary>A compressed message in an encoding the server lacks (both kinds of call).</summary>
    internal static readonly Refusal UnsupportedEncoding = new(RefusalKind.Unimplemented, "request message uses an unsupported grpc-encoding");

    private static readonly Refusal Framing = new(RefusalKind.BadRequest, "request must be exactly one gRPC message");
    private static readonly Refusal NoEncoding = new(RefusalKind.BadRequest, "a compressed request message needs a grpc-encoding other than identity");
    private static readonly Refusal Undecompressible = new(RefusalKind.BadRequest, "request message could not be decompressed");
    private static readonly Refusal Unreadable = new(RefusalKind.BadRequest, "request body could not be read");

    /// <summary>What the framework reads in place of a refused message: a frame holding an empty one.</summary>
    private static readonly byte[] EmptyMessage = new byte[HeaderSize];

    /// <summary>The framework's receive limit: how much of another service's message is read.</summary>
    private readonly int receiveLimit = options.Value.MaxReceiveMessageSize ?? int.MaxValue;

    private readonly FrozenDictionary<string, ICompressionProvider> compressions =
        options.Value.CompressionProviders.ToFrozenDictionary(p => p.EncodingName, StringComparer.Ordinal);

    /// <summary>The encodings grpc-dotnet accepts, as it announces them in grpc-accept-encoding.</summary>
    private readonly string acceptedEncodings =
        string.Join(",", options.Value.CompressionProviders.Select(p => p.EncodingName).Prepend("identity"));

    /// <summary>How each method's request is read; null for a request type that is not a protobuf message.</summary>
    private readonly ConcurrentDictionary<IMethod, Reading?> readings = new();

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var method = endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is not { Type: MethodType.Unary or MethodType.ServerStreaming }
            || endpoint!.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null
            || !IsGrpcContentType(context.Request.ContentType)
            || !(HttpProtocol.IsHttp2(context.Request.Protocol) || HttpProtocol.IsHttp3(context.Request.Protocol))
            || readings.GetOrAdd(method, static (m, receiveLimit) => ReadingOf(m, receiveLimit), receiveLimit) is not { } reading)
        {
            // Not a call whose one message grpc-dotnet reads before the interceptors: transcoded
            // calls (the REST facade checks their bodies), streaming requests, and requests
            // grpc-dotnet refuses without reading (wrong content type or protocol).
            return next(context);
        }

        return JudgeAsync(context, reading);
    }

    private async Task JudgeAsync(HttpContext context, Reading reading)
    {
        Judgement judgement;
        try
        {
            judgement = await ReadAsync(context, reading);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while sending; nobody is left to answer.
            return;
        }
        catch (BadHttpRequestException exception)
        {
            // Kestrel gave up on the body (sent too slowly, for one): the client's fault.
            LogUnreadable(exception.Message);
            judgement = new Judgement(Unreadable, null);
        }

        if (judgement.Problem is { } problem)
        {
            LogRefused(problem.Message);
            CallState.Of(context).RequestProblem = problem;
        }

        if (judgement.Problem is not null || judgement.Inflated is not null)
        {
            context.Features.Set<IRequestBodyPipeFeature>(new ReplacedBody(judgement.Inflated ?? EmptyMessage));
        }

        await next(context);
    }

    /// <summary>Reads until the message can be judged; a sound uncompressed one is left unconsumed
    /// (and unexamined), so grpc-dotnet's read returns the same buffer at once.</summary>
    private async Task<Judgement> ReadAsync(HttpContext context, Reading reading)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var buffer = read.Buffer;
            if (Judge(context, reading, buffer, read.IsCompleted) is not { } judgement)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            reader.AdvanceTo(judgement is { Problem: null, Inflated: null } ? buffer.Start : buffer.End);
            return judgement;
        }
    }

    /// <summary>The judgement on what has arrived so far, or null until more has.</summary>
    private Judgement? Judge(HttpContext context, Reading reading, ReadOnlySequence<byte> buffer, bool complete)
    {
        if (buffer.Length < HeaderSize)
        {
            return complete ? new Judgement(Framing, null) : null;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var compressed = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (compressed > 1)
        {
            return new Judgement(Framing, null);
        }

        if (length > reading.Limit)
        {
            return new Judgement(reading.TooLarge, null);
        }

        if (buffer.Length > HeaderSize + length)
        {
            return new Judgement(Framing, null);
        }

        if (!complete)
        {
            // Even with the whole frame here, only the end of the stream says nothing follows it.
            return null;
        }

        if (buffer.Length < HeaderSize + length)
        {
            return new Judgement(Framing, null);
        }

        var payload = buffer.Slice(HeaderSize);
        byte[]? inflated = null;
        if (compressed == 1)
        {
            if (Inflate(context, payload, reading, out inflated) is { } problem)
            {
                return new Judgement(problem, null);
            }

            payload = new ReadOnlySequence<byte>(inflated, HeaderSize, inflated.Length - HeaderSize);
        }

        try
        {
            reading.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException)
        {
            return new Judgement(Malformed, null);
        }

        return new Judgement(null, inflated);
    }

    /// <summary>Inflates a compressed message, no further than the method's limit, into an uncompressed frame.</summary>
    private Refusal? Inflate(HttpContext context, ReadOnlySequence<byte> payload, Reading reading, out byte[] frame)
    {
        frame = EmptyMessage;
        var encoding = context.Request.Headers.GrpcEncoding.ToString();
        if (encoding.Length == 0 || encoding == "identity")
        {
            return NoEncoding;
        }

        if (!compressions.TryGetValue(encoding, out var compression))
        {
            // The compression spec's answer to an encoding the server lacks: UNIMPLEMENTED, naming
            // the ones it has.
            context.Response.Headers.GrpcAcceptEncoding = acceptedEncodings;
            return UnsupportedEncoding;
        }

        using var output = new MemoryStream();
        output.Write(EmptyMessage);
        try
        {
            using var input = compression.CreateDecompressionStream(new MemoryStream(payload.ToArray(), writable: false));
            var chunk = new byte[16 * 1024];
            int count;
            while ((count = input.Read(chunk)) > 0)
            {
                if (output.Length - HeaderSize + count > reading.Limit)
                {
                    return reading.TooLarge;
                }

                output.Write(chunk, 0, count);
            }
        }
        catch (InvalidDataException)
        {
            return Undecompressible;
        }

        frame = output.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(frame.Length - HeaderSize));
        return null;
    }

    /// <summary>grpc-dotnet's test: <c>application/grpc</c>, alone or followed by <c>+format</c> or parameters.</summary>
    private static bool IsGrpcContentType(string? contentType) =>
        contentType is not null
        && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == "application/grpc".Length || contentType["application/grpc".Length] is '+' or ';');

    private static Reading? ReadingOf(IMethod method, int receiveLimit) =>
        method.GetType() is { IsGenericType: true } type
        && type.GetGenericTypeDefinition() == typeof(Method<,>)
        && Activator.CreateInstance(type.GetGenericArguments()[0]) is IMessage message
            ? new Reading(message.Descriptor.Parser, ApiCallInterceptor.IsContractMethod(method.FullName) ? RestFacadeMiddleware.MaxRequestBodyBytes : receiveLimit)
            : null;

    [LoggerMessage(LogLevel.Debug, "Request message refused: {Reason}")]
    private partial void LogRefused(string reason);

    [LoggerMessage(LogLevel.Debug, "Request body unreadable: {Reason}")]
    private partial void LogUnreadable(string reason);

    /// <summary>How a method's request is read: its parser, and the size past which it is refused
    /// unread: the contract's 64 KiB for the contract's RPCs (the limit ApiCallInterceptor holds
    /// them to), the framework's receive limit for other services.</summary>
    private sealed record Reading(MessageParser Parser, int Limit)
    {
        public Refusal TooLarge { get; } = new(RefusalKind.PayloadTooLarge, $"request must be at most {Limit} bytes");
    }

    /// <summary>The request's problem, or none; a sound compressed message, inflated and framed
    /// uncompressed, for grpc-dotnet to read instead.</summary>
    private readonly record struct Judgement(Refusal? Problem, byte[]? Inflated);

    /// <summary>The request body grpc-dotnet reads instead of the one that came.</summary>
    private sealed class ReplacedBody(byte[] frame) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = PipeReader.Create(new ReadOnlySequence<byte>(frame));
    }
}
